"""The structure search at a million structures: kind and type words filter, short words
are ignored, counts stop at 1,000, and the text matched is the identifier and the name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from affiliations import selectors
from affiliations.identifiers import IdentifierType
from affiliations.models import Structure, StructureKind
from tests.factories import make_structure

pytestmark = pytest.mark.django_db

URL = "affiliations:affiliation-request"


@pytest.fixture
def lyon():
    mairie = make_structure("Mairie de Lyon", kind=StructureKind.PUBLIC)
    durand = make_structure("Durand Lyon SARL", kind=StructureKind.PRIVATE)
    ridet = Structure.objects.create(
        identifier_type=IdentifierType.RIDET,
        identifier="1234567.001",
        company_name="Durand Nouméa Lyon",
        kind=StructureKind.PRIVATE,
    )
    return mairie, durand, ridet


def _names(client, query, **params):
    response = client.get(reverse(URL), {"q": query, **params})
    assert response.status_code == 200
    return sorted(s.company_name for s in response.context["results"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lyon publique", ["Mairie de Lyon"]),
        ("LYON Public", ["Mairie de Lyon"]),
        ("publiques", ["Mairie de Lyon"]),
        ("Lyon privée", ["Durand Lyon SARL", "Durand Nouméa Lyon"]),
        ("PRIVE durand", ["Durand Lyon SARL", "Durand Nouméa Lyon"]),
        ("private lyon", ["Durand Lyon SARL", "Durand Nouméa Lyon"]),
        ("public privée lyon", ["Durand Lyon SARL", "Durand Nouméa Lyon", "Mairie de Lyon"]),
        ("siret lyon", ["Durand Lyon SARL", "Mairie de Lyon"]),
        ("RIDET", ["Durand Nouméa Lyon"]),
        ("ridet privée", ["Durand Nouméa Lyon"]),
        ("siret privée", ["Durand Lyon SARL"]),
    ],
)
def test_kind_and_type_words_filter_in_french_and_english(signed_in, alice, lyon, query, expected):
    assert _names(signed_in(alice), query) == expected


def test_type_labels_are_no_longer_text(lyon):
    mairie, _durand, ridet = lyon
    mairie.refresh_from_db()
    ridet.refresh_from_db()
    assert mairie.search_text == f"{mairie.identifier} mairie de lyon"
    assert ridet.search_text == "1234567 001 durand noumea lyon"
    # "caledonie" was in the RIDET label ("RIDET (New Caledonia)"): no longer matched.
    assert list(selectors.search_structures("caledonia")) == []
    assert list(selectors.search_structures("caledonie")) == []


def test_words_under_three_characters_are_ignored(signed_in, alice, lyon):
    client = signed_in(alice)
    assert _names(client, "mairie de lyon") == _names(client, "mairie lyon") == ["Mairie de Lyon"]
    response = client.get(reverse(URL), {"q": "de a"})
    results = response.context["results"]
    assert list(results) == [] and results.paginator.count == 0
    assert results.query.ignored == ("de", "a")
    assert "de, a" in response.content.decode()


def test_identifiers_typed_in_short_groups_still_match(signed_in, alice, lyon):
    _mairie, durand, _ridet = lyon
    spaced = " ".join(durand.identifier[i : i + 2] for i in range(0, 14, 2))
    assert _names(signed_in(alice), spaced) == ["Durand Lyon SARL"]


def test_counts_stop_at_the_cap(signed_in, alice, lyon, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    client = signed_in(alice)
    response = client.get(reverse(URL), {"q": "lyon"})
    results = response.context["results"]
    assert results.capped and results.paginator.count == 3 and results.paginator.num_pages == 1
    html = response.content.decode()
    assert "Plus de 2 structures trouvées" in html
    response = client.get(reverse(URL), {"q": "lyon durand"})
    assert not response.context["results"].capped
    assert "2 structures trouvées" in response.content.decode()


def test_the_search_reads_at_most_the_cap_and_sorts_no_more(lyon):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = selectors.search_structures("lyon")
        assert page.paginator.count == 3 and len(page.object_list) == 3
    # On PostgreSQL, first the planner's estimate of each word's matches (EXPLAIN): a
    # very common word is read by a scan stopping at the cap rather than by the index.
    estimates = [q["sql"] for q in captured if q["sql"].startswith("EXPLAIN")]
    assert len(estimates) == (1 if connection.vendor == "postgresql" else 0)
    reads = [q for q in captured if not q["sql"].startswith("EXPLAIN")]
    assert len(reads) == 2  # the matches' ids and names, then the page's rows
    ids_sql, rows_sql = (q["sql"].upper() for q in reads)
    assert "LIMIT 1001" in ids_sql and "ORDER BY" not in ids_sql
    assert "COUNT(" not in ids_sql + rows_sql
    assert "ORDER BY" not in rows_sql and " IN (" in rows_sql


def test_results_are_sorted_by_name_accents_and_case_aside(signed_in, alice):
    for name in ("Zèbre Lyon", "école Lyon", "Étude Lyon", "Abeille Lyon", "eau Lyon"):
        make_structure(name)
    page = selectors.search_structures("lyon")
    assert [s.company_name for s in page] == [
        "Abeille Lyon",
        "eau Lyon",
        "école Lyon",
        "Étude Lyon",
        "Zèbre Lyon",
    ]
