"""docs/benchmarks.md from the figures benchmarks/run.py collected."""

from __future__ import annotations

from pathlib import Path

NOTES = Path(__file__).with_name("notes.md")
NAN = float("nan")


def _ms(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _short(value: float, target: float) -> str:
    """ " (short by 12 %)" when value is under target (for a time, pass the target first)."""
    if value >= target or not target:
        return ""
    return f" (short by {1 - value / target:.0%})"


def _over(value: float, limit: float) -> str:
    """ " (over by 12 %)" when a time is over its limit."""
    if value <= limit or not limit:
        return ""
    return f" (over by {value / limit - 1:.0%})"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(data: dict) -> str:
    m = data["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make benchmark` (`benchmarks/run.py`); numbers only, nothing here is a",
        "test. How to run it and what each figure means: `benchmarks/README.md`.",
        "",
        f"- **Date:** {data['date']}",
        f"- **Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['database']}; "
        f"Redis {'on' if m['redis'] else 'off'}; Python {m['python']}, Django {m['django']}",
        f"- **Load average (1/5/15 min):** {data['load_start']} at the start, "
        f"{data['load_end']} at the end",
        f"- **Web:** gunicorn, {data['workers']} sync workers; `wrk` runs of {data['duration']} s",
    ]
    if data.get("note"):
        lines.append(f"- **Conditions:** {data['note']}")
    lines += ["", "**Data:** " + ", ".join(f"{count:,} {name}" for name, count in data["sizes"])]
    lines += ["", *_targets(data)]
    if "pages" in data:
        lines += ["", *_pages(data["pages"])]
    if "cpu" in data:
        lines += ["", *_cpu(data["cpu"])]
    if "http" in data:
        lines += ["", *_http(data["http"], data.get("memory", []))]
    if "logins" in data:
        lines += ["", *_logins(data["logins"])]
    if "search" in data:
        lines += ["", *_search(data["search"])]
    if "admin" in data:
        lines += ["", *_admin(data["admin"], data.get("admin_load"))]
    if NOTES.exists():
        lines += ["", NOTES.read_text().rstrip()]
    return "\n".join(lines) + "\n"


def _targets(data: dict) -> list[str]:
    rows = ["## Against the targets", "", "| what | measured | target | |", "|---|---|---|---|"]
    logins = data.get("logins")
    if logins:
        rate = logins["per_cpu_second"]
        inside = ""
        if logins.get("in_process_cpu_ms"):
            inside = (
                f"; in process {1000 / logins['in_process_cpu_ms']:.1f} per CPU-second "
                f"({logins['in_process_cpu_ms']:.0f} ms a login, Argon2 "
                f"{logins['in_process_argon2_ms']:.0f} ms of it)"
            )
        rows.append(
            f"| password login | {rate:.1f} logins per web-worker CPU-second "
            f"({logins['rps']:.1f}/s over {data['workers']} workers){_short(rate, 30)}{inside}; "
            "every lookup an index scan (EXPLAIN test) | index lookup; ≥ 30 logins/s per core | "
            f"{_verdict(rate >= 30)} |"
        )
        p = logins["params"]
        rows.append(
            f"| Argon2 cost | Argon2id m={p['m'] // 1024} MiB, t={p['t']}, p={p['p']}: "
            f"{logins['raw_per_cpu_second']:.1f} verifies per CPU-second (raw argon2-cffi) | "
            "≥ OWASP minimum, measured; upgraded at next login | met |"
        )
    http = data.get("http")
    if http:
        ratios = [
            row["bare, signed in"]["rps"] / row["bare, anonymous"]["rps"] for row in http.values()
        ]
        rows.append(
            "| signed-in bare request | "
            + ", ".join(f"{r:.0%}" for r in ratios)
            + " of the anonymous throughput (1/10/50 clients); persistent connections with "
            "health checks; the session written at most once a minute | persistent "
            "connections with health checks; the session touched at most once a minute | met |"
        )
        for page in ("/account/", "/users/"):
            page_ratios = [
                row[page]["rps"] / row["bare, signed in"]["rps"] for row in http.values()
            ]
            cpu = {row["what"]: row["cpu_ms"] for row in data.get("cpu", [])}
            kept = "/users/ (manager)" if page == "/users/" else page
            drawn = f"{kept}, drawn each time"
            bare = cpu.get("bare view")
            inside = ""
            if kept in cpu and bare:
                inside = (
                    f"; in process, served again it costs {cpu[kept] / bare:.1f}× the bare "
                    f"view's CPU ({cpu[kept]:.1f} against {bare:.1f} ms)"
                )
                if drawn in cpu:
                    inside += f", drawn {cpu[drawn] / bare:.1f}× ({cpu[drawn]:.1f} ms)"
            rows.append(
                f"| `{page}` vs bare (same run) | "
                + ", ".join(f"{r:.2f}×" for r in page_ratios)
                + f" (1/10/50 clients){_short(min(page_ratios), 0.6)}{inside} | ≥ 0.6× | "
                + _verdict(min(page_ratios) >= 0.6)
                + " |"
            )
        top = http.get(50) or http[max(http)]
        worst = max(top["/account/"]["p99"], top["/users/"]["p99"])
        rows.append(
            f"| p99 at 50 clients | `/account/` {_ms(top['/account/']['p99'])}, `/users/` "
            f"{_ms(top['/users/']['p99'])}; bare view {_ms(top['bare, signed in']['p99'])} "
            f"(load average {data['load_start']} → {data['load_end']}: not an idle machine) | "
            f"≤ 250 ms on an idle 2-core machine | {_verdict(worst <= 250)} |"
        )
    pages = data.get("pages")
    if pages:
        growth = max(row["1000"]["ms"] / row["10"]["ms"] for row in pages if row["10"]["ms"])
        biggest = max(row["1000"]["kb"] for row in pages)
        growing = [
            f"{row['page']} {row['1000']['ms'] / row['10']['ms']:.1f}×"
            for row in pages
            if row["10"]["ms"] and row["1000"]["ms"] / row["10"]["ms"] > 1.5
        ]
        rows.append(
            f"| lists at 1,000 rows | at most {growth:.1f}× the time at 10 rows; largest page "
            f"{biggest:.0f} KB"
            + (f"; not flat: {', '.join(growing)}" if growing else "")
            + " | paginated or searched; time flat from 10 to 1,000 rows | "
            f"{_verdict(growth <= 1.5)} |"
        )
    search = data.get("search")
    if search:
        slow = [f"`{q['query']}` {_ms(q['p50'])}" for q in search["queries"] if q["p50"] > 25]
        rows.append(
            f"| structure search | p50 {_ms(search['p50'])}, p95 {_ms(search['p95'])} over "
            f"{len(search['queries'])} queries{_over(search['p95'], 25)}"
            + (f"; typical time over 25 ms: {', '.join(slow)}" if slow else "")
            + "; words under 3 characters ignored; counts capped "
            f"| p95 ≤ 25 ms | {_verdict(search['p95'] <= 25)} |"
        )
    admin = data.get("admin")
    if admin:
        slowest = max(admin, key=lambda row: row["ms"])
        over = [row for row in admin if row["ms"] > 1000]
        failed = [row for row in admin if row["status"] != row.get("expected", 200)]
        counts = sum(row.get("full_counts", 0) for row in admin)
        ok = not over and not failed
        busiest = max(admin, key=lambda row: row.get("cpu_ms", 0))
        detail = (
            f"{len(admin)} pages; slowest: {slowest['page']} {_ms(slowest['ms'])}; most web "
            f"CPU: {busiest['page']} {_ms(busiest.get('cpu_ms', NAN))}"
        )
        if over:
            detail += "; over 1 s: " + ", ".join(f"{r['page']} {_ms(r['ms'])}" for r in over)
        if failed:
            detail += "; failed: " + ", ".join(f"{r['page']} (HTTP {r['status']})" for r in failed)
        detail += f"; {counts} counts without a limit (see the admin table)"
        rows.append(
            f"| admin at full size | {detail} | every page ≤ 1 s; no full counts | {_verdict(ok)} |"
        )
    return rows


def _pages(pages: list[dict]) -> list[str]:
    rows = [
        "## Pages at 10 and at 1,000 rows",
        "",
        "In process (Django's test client, no network), median of the repetitions. Queries",
        "and time are the page's drawing (kept pages off); “again” is the next visit as the",
        "portal serves it (My account, My affiliations and the Users area are kept once",
        "drawn, until something they show changes).",
        "",
        "| page | queries (10 / 1,000) | time (10 / 1,000) | again (10 / 1,000) "
        "| size (10 / 1,000) |",
        "|---|---|---|---|---|",
    ]
    for row in pages:
        small, large = row["10"], row["1000"]
        again = (
            f"{_ms(small['kept_ms'])} / {_ms(large['kept_ms'])}, "
            f"{small['kept_queries']} / {large['kept_queries']} queries"
            if "kept_ms" in small
            else ""
        )
        rows.append(
            f"| {row['page']} | {small['queries']} / {large['queries']} | "
            f"{_ms(small['ms'])} / {_ms(large['ms'])} | {again} | "
            f"{small['kb']:.0f} / {large['kb']:.0f} KB |"
        )
    return rows


def _cpu(cpu: list[dict]) -> list[str]:
    bare = cpu[0]["cpu_ms"] or 1
    rows = [
        "## CPU per request, in process",
        "",
        "The web process's own CPU time per request (Django's test client, no network),",
        "and the part spent drawing templates; the database's wall time beside it. A page's",
        "throughput against the bare view's is at best about the inverse of the CPU ratio.",
        "",
        "| what | CPU per request | × bare | templates | queries | database (wall) |",
        "|---|---|---|---|---|---|",
    ]
    for row in cpu:
        rows.append(
            f"| {row['what']} | {row['cpu_ms']:.1f} ms | {row['cpu_ms'] / bare:.1f}× | "
            f"{row['templates_ms']:.1f} ms | {row['queries']} | {row['database_ms']:.1f} ms |"
        )
    return rows


def _http(http: dict, memory: list) -> list[str]:
    rows = [
        "## Throughput and latency (wrk)",
        "",
        "Each page against the bare view for the same person in the same run (the bare",
        "view is measured before and after the pages, and averaged). CPU is the web",
        "workers' own time per request (PostgreSQL's is not included).",
        "",
        "| clients | what | req/s | vs bare | p50 | p99 | web CPU per request |",
        "|---|---|---|---|---|---|---|",
    ]
    for clients, row in http.items():
        bare = row["bare, signed in"]["rps"]
        for label, figures in row.items():
            ratio = "" if label.startswith("bare") else f"{figures['rps'] / bare:.2f}×"
            errors = f" ({figures['bad']} errors)" if figures["bad"] else ""
            rows.append(
                f"| {clients} | {label} | {figures['rps']:.0f}{errors} | {ratio} | "
                f"{_ms(figures['p50'])} | {_ms(figures['p99'])} | "
                f"{figures['cpu_ms_per_request']:.1f} ms |"
            )
    if memory:
        rss = ", ".join(f"{now:.0f} MB (peak {peak:.0f} MB)" for now, peak in memory)
        rows += ["", f"**Worker memory** after the runs (resident): {rss}."]
    return rows


def _logins(logins: dict) -> list[str]:
    p = logins["params"]
    rows = [
        "## Password logins",
        "",
        f"`wrk`, 4 clients, random users among 2,000 of the generated ones, Argon2id "
        f"m={p['m'] // 1024} MiB, t={p['t']}, p={p['p']}; each login looks the user up, checks "
        "the password, opens the session, creates the e-mail code, queues its mail and writes "
        "the log.",
        "",
        "| | figure |",
        "|---|---|",
        f"| logins completed | {logins['succeeded']:,} ({logins['rps']:.1f}/s, "
        f"p50 {_ms(logins['p50'])}, p99 {_ms(logins['p99'])}) |",
        f"| web CPU per login | {logins['cpu_ms_per_request']:.1f} ms |",
        f"| logins per web-worker CPU-second | {logins['per_cpu_second']:.1f} |",
        f"| raw argon2-cffi verifies per CPU-second | {logins['raw_per_cpu_second']:.1f} |",
    ]
    if "in_process_cpu_ms" in logins:
        rows.append(
            f"| in process (one client, no network): CPU per login | "
            f"{logins['in_process_cpu_ms']:.1f} ms, of which Argon2 "
            f"{logins['in_process_argon2_ms']:.1f} ms; {logins['in_process_queries']:.0f} "
            "queries |"
        )
    return rows


def _search(search: dict) -> list[str]:
    rows = [
        "## Structure search",
        "",
        f"In process, `search_structures` (both queries and the sort), {search['count']} "
        f"timings: p50 {_ms(search['p50'])}, p95 {_ms(search['p95'])}, max "
        f"{_ms(search['max'])}.",
        "",
        "| typed | found | p50 | max |",
        "|---|---|---|---|",
    ]
    for row in search["queries"]:
        rows.append(
            f"| `{row['query']}` | {row['found']} | {_ms(row['p50'])} | {_ms(row['max'])} |"
        )
    return rows


def _admin(admin: list[dict], load: str | None = None) -> list[str]:
    rows = [
        "## The admin at full size",
        "",
        *(
            [f"Measured in a run of this part alone (load average {load}; see the notes).", ""]
            if load
            else []
        ),
        "In process, as a superuser, median of the repetitions (a save: once): wall time,",
        "the web process's CPU time and the database's (the sum of its queries' times).",
        "Every list, its filters' first choices, the date hierarchy down to a day, the",
        "searches staff type, the latest row's change page, the add page, and the biggest",
        "rows' pages.",
        "“Counts” are COUNT queries without a LIMIT (the lists' own are capped at 10,001",
        "rows); the slowest query is named when a page takes more than 250 ms.",
        "",
        "| page | time | web CPU | queries | database | counts | slowest query |",
        "|---|---|---|---|---|---|---|",
    ]
    section = None
    for row in admin:
        if row.get("section") != section:
            section = row.get("section")
            if section:
                rows.append(f"| **`{section}`** | | | | | | |")
        status = "" if row["status"] == row.get("expected", 200) else f" (HTTP {row['status']})"
        slowest = ""
        if row["ms"] > 250 and row.get("slowest_sql"):
            sql = row["slowest_sql"].replace("|", "\\|").replace("`", "'")
            slowest = f"{_ms(row['slowest_sql_ms'])}: `{sql[:160]}…`"
        rows.append(
            f"| {row['page']}{status} | {_ms(row['ms'])} | {_ms(row.get('cpu_ms', NAN))} | "
            f"{row['queries']} | {_ms(row.get('database_ms', NAN))} | "
            f"{row.get('full_counts', 0)} | {slowest} |"
        )
    return rows
