from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus_portal.converters import parse_id
from chorus_portal.names import of_structure
from chorus_portal.page_cache import per_person

from . import selectors, services, workflow
from .forms import (
    AffiliationRequestForm,
    DetachForm,
    HistoryFilterForm,
    ReactivationRequestForm,
    RefusalForm,
    ServiceSearchForm,
    StructureSearchForm,
    TransferForm,
)
from .models import (
    Affiliation,
    AffiliationStatus,
    RequestStatus,
    Service,
    Structure,
    StructureStatus,
)
from .permissions import (
    decidable_request_or_404,
    main_managed_structure_or_404,
    managed_structure_ids,
    may_manage,
    own_affiliation_or_404,
    own_request_or_404,
)


def _int_or_404(value) -> int:
    number = parse_id(value)
    if number is None:
        raise Http404
    return number


SEARCH_SERVICES = "search_services"  # the "Search services" button of a form with service ticks
SERVICES_PAGE = "services_page"  # the buttons of the pages of services


def _service_search_only(request) -> bool:
    """A POST from the search or pager buttons of the services: show, do not submit."""
    return request.method == "POST" and (
        SEARCH_SERVICES in request.POST or SERVICES_PAGE in request.POST
    )


def _services_panel(request, structure, *, only_ids=None) -> dict:
    """The ticked services and the page of services shown, for the column of checkboxes.

    The search box and the pager are buttons of the request form itself, so a new search or
    another page sends the ticks with it (no JavaScript needed): ticks on services the new
    page does not show stay ticked above the list, and are sent with the form.
    """
    data = request.POST if request.method == "POST" else request.GET
    service_search = ServiceSearchForm(data or None)
    query = service_search.cleaned_data["service_q"] if service_search.is_valid() else ""
    page = data.get(SERVICES_PAGE) or request.GET.get("page")
    services_page = selectors.services_of(structure, query, page=page, only_ids=only_ids)
    ticked = {number for number in map(parse_id, data.getlist("services")) if number}
    shown = {service.pk for service in services_page}
    ticked_elsewhere = []
    if ticked - shown:
        queryset = Service.objects.filter(structure=structure, active=True, pk__in=ticked - shown)
        if only_ids is not None:
            queryset = queryset.filter(pk__in=only_ids)
        ticked_elsewhere = list(queryset.only("id", "code", "name").order_by("code", "id"))
    return {
        "service_search": service_search,
        "service_query": query,
        "services_page": services_page,
        "ticked_elsewhere": ticked_elsewhere,
        "selected_services": {str(number) for number in ticked},
        "searched_services": SEARCH_SERVICES in data or SERVICES_PAGE in data,
    }


def _kept_values(request, *names) -> dict:
    """What was typed or chosen in a form sent by a service search: shown again, unchecked."""
    if request.method != "POST":
        return {}
    return {name: request.POST.get(name) for name in names if request.POST.get(name)}


@login_required
@require_GET
@per_person
def affiliation_list(request):
    return render(
        request,
        "affiliations/affiliation_list.html",
        {
            "title": _("My affiliations"),
            "affiliations": selectors.affiliations_of(
                request.user, page=request.GET.get("affiliations_page")
            ),
            "pending": selectors.pending_requests_of(
                request.user, page=request.GET.get("pending_page")
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def affiliation_request(request):
    structure_id = request.POST.get("structure") or request.GET.get("structure")
    if not structure_id:
        search = StructureSearchForm(request.GET or None)
        results = None
        if search.is_valid() and "q" in request.GET:
            results = selectors.search_structures(
                search.cleaned_data["q"], page=request.GET.get("page")
            )
        title = _("Request to be connected to a structure")
        if results is not None:
            # Each step has its own title: the results are not the empty search.
            title = _("Structures found for “%(query)s” — %(page)s") % {
                "query": search.cleaned_data["q"],
                "page": title,
            }
        return render(
            request,
            "affiliations/affiliation_request.html",
            {
                "title": title,
                "search": search,
                "results": results,
            },
        )

    structure = get_object_or_404(
        Structure, pk=_int_or_404(structure_id), status=StructureStatus.ACTIVE
    )
    services_qs = Service.objects.filter(structure=structure, active=True)
    searching = _service_search_only(request)
    form = AffiliationRequestForm(
        None if searching else request.POST or None,
        services_queryset=services_qs,
        initial=_kept_values(request, "scope", "comment"),
    )
    if request.method == "POST" and not searching and form.is_valid():
        try:
            services.check_not_already_attached(
                user=request.user,
                structure=structure,
                whole_structure=form.whole_structure,
                services=form.cleaned_data["services"],
            )
            services.request_affiliation(
                user=request.user,
                structure=structure,
                whole_structure=form.whole_structure,
                services=form.cleaned_data["services"],
                comment=form.cleaned_data["comment"],
                http_request=request,
            )
        except services.AlreadyAttached:
            form.add_error(None, _("You are already attached to this structure or these services."))
        except workflow.DuplicateRequest:
            form.add_error(
                None,
                _(
                    "You already have a pending request for this structure and these services. "
                    "Wait for the manager's decision."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "Your affiliation request has been sent. The structure's main manager or a "
                    "user with this right will validate it."
                ),
            )
            return redirect("affiliations:users-area")
    return render(
        request,
        "affiliations/affiliation_request.html",
        {
            "title": _("%(structure)s — Request to be connected to a structure")
            % {"structure": structure.company_name},
            "structure": structure,
            "form": form,
            **_services_panel(request, structure),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def affiliation_detach(request):
    affiliation_id = request.POST.get("affiliation") or request.GET.get("affiliation")
    if not affiliation_id:
        return render(
            request,
            "affiliations/affiliation_detach.html",
            {
                "title": _("Detach myself"),
                "choices": selectors.active_affiliations_page(
                    request.user, page=request.GET.get("page")
                ),
            },
        )
    affiliation = own_affiliation_or_404(request.user, _int_or_404(affiliation_id))
    if affiliation.whole_structure:
        services_qs = Service.objects.filter(structure=affiliation.structure, active=True)
    else:
        services_qs = affiliation.services.all()
    searching = _service_search_only(request)
    form = DetachForm(
        None if searching else request.POST or None,
        services_queryset=services_qs,
        initial=_kept_values(request, "scope"),
    )
    if request.method == "POST" and not searching and form.is_valid():
        try:
            services.detach(
                user=request.user,
                affiliation=affiliation,
                services=None if form.whole_structure else form.cleaned_data["services"],
                http_request=request,
            )
        except services.LastMainManager:
            form.add_error(
                None,
                _(
                    "You are the main manager of this structure: transfer the role to another "
                    "user before detaching yourself."
                ),
            )
        except services.AffiliationError:
            raise Http404 from None
        else:
            messages.success(request, _("Your detachment has been recorded."))
            return redirect("affiliations:affiliation-list")
    only_ids = None if affiliation.whole_structure else services_qs.values("pk")
    return render(
        request,
        "affiliations/affiliation_detach.html",
        {
            "title": _("%(structure)s — Detach myself")
            % {"structure": affiliation.structure.company_name},
            "affiliation": affiliation,
            "form": form,
            **_services_panel(request, affiliation.structure, only_ids=only_ids),
        },
    )


@login_required
@require_GET
def request_list(request):
    filters = HistoryFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    return render(
        request,
        "affiliations/request_list.html",
        {
            "title": _("History of my requests"),
            "filters": filters,
            "status": status,
            "page_obj": selectors.history_of(
                request.user, status=status, page=request.GET.get("page")
            ),
        },
    )


@login_required
@require_POST
def request_cancel(request, pk: int):
    """The requester withdraws one of their pending requests (History of my requests)."""
    req = own_request_or_404(request.user, pk)
    if workflow.cancel(req=req, by=request.user, http_request=request):
        messages.success(
            request,
            _("Your request #%(id)s has been cancelled: the managers no longer see it.")
            % {"id": req.pk},
        )
    else:
        messages.warning(request, _("Request #%(id)s had already been decided.") % {"id": req.pk})
    return redirect("affiliations:request-list")


@login_required
@require_GET
@per_person
def users_area(request):
    user = request.user
    managed = managed_structure_ids(user)
    page = request.GET.get
    inbox = selectors.requests_waiting_on(user, page=page("page"))
    if inbox is not None:
        # The header's counter is this count: not counted twice (context_processors).
        request.pending_approvals_count = inbox.paginator.count
    return render(
        request,
        "affiliations/users_area.html",
        {
            "title": _("Users area"),
            "is_manager": bool(managed),
            # Each list has its own page parameter: turning one list's page keeps the others'.
            "inbox": inbox,
            "members": selectors.users_of_managed_structures(user, page=page("users_page")),
            # Only the main manager may hand the role on (not a delegate).
            "transferable": selectors.main_managed_structures(user, page=page("structures_page"))
            if managed
            else None,
            "affiliations": selectors.affiliations_of(user, page=page("affiliations_page")),
            "pending": selectors.pending_requests_of(user, page=page("pending_page")),
            "deactivated": selectors.deactivated_members(user, page=page("deactivated_page")),
        },
    )


def _render_refusal(request, reqs, form, *, bulk: bool):
    """The refusal step: what is being refused, and the reason the requesters will read."""
    return render(
        request,
        "affiliations/request_refuse.html",
        {
            "title": ngettext("Refuse %(count)d request", "Refuse %(count)d requests", len(reqs))
            % {"count": len(reqs)}
            if bulk
            else _("Refuse a request"),
            "reqs": reqs,
            "form": form,
            "bulk": bulk,
        },
    )


def _refuse(request, reqs, reason: str) -> int:
    """Refuse `reqs` with `reason`; say what could not be; return how many were refused."""
    refused = 0
    for req in reqs:
        try:
            workflow.decide(
                req=req, by=request.user, approve=False, reason=reason, http_request=request
            )
            refused += 1
        except workflow.AlreadyDecided:
            messages.warning(
                request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
            )
    if refused:
        messages.success(
            request,
            ngettext("%(count)d request refused.", "%(count)d requests refused.", refused)
            % {"count": refused},
        )
    return refused


@login_required
@require_POST
def requests_decide(request):
    """Approve one request, or the selected ones, at once; refusing the selected ones is a
    second step that lists them and asks for the reason (it needs no JavaScript)."""
    user = request.user
    if request.POST.get("approve"):
        ids, approve = [request.POST["approve"]], True
    else:
        action = request.POST.get("action")
        if action not in {"approve", "refuse"}:
            raise Http404
        ids, approve = request.POST.getlist("requests"), action == "approve"
    reqs = [decidable_request_or_404(user, _int_or_404(i)) for i in dict.fromkeys(ids)]
    if not reqs:
        messages.warning(request, _("Select at least one request."))
        return redirect("affiliations:users-area")
    if not approve:
        undecided = [req for req in reqs if req.status == RequestStatus.PENDING]
        for req in reqs:
            if req.status != RequestStatus.PENDING:
                messages.warning(
                    request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
                )
        if not undecided:
            return redirect("affiliations:users-area")
        if "reason" not in request.POST:
            # First step: nothing is refused yet, the reason is asked for.
            return _render_refusal(request, undecided, RefusalForm(), bulk=True)
        form = RefusalForm(request.POST)
        if not form.is_valid():
            return _render_refusal(request, undecided, form, bulk=True)
        _refuse(request, undecided, form.cleaned_data["reason"])
        return redirect("affiliations:users-area")
    decided = 0
    for req in reqs:
        try:
            workflow.decide(req=req, by=user, approve=True, reason="", http_request=request)
            decided += 1
        except workflow.AlreadyDecided:
            messages.warning(
                request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
            )
        except workflow.WorkflowError:
            messages.error(
                request,
                _(
                    "Request #%(id)s could not be applied: the requester is no longer attached "
                    "where it applies. Nothing was changed; refuse it with a reason."
                )
                % {"id": req.pk},
            )
    if decided:
        messages.success(
            request,
            ngettext("%(count)d request approved.", "%(count)d requests approved.", decided)
            % {"count": decided},
        )
    return redirect("affiliations:users-area")


@login_required
@require_http_methods(["GET", "POST"])
def request_refuse(request, pk: int):
    req = decidable_request_or_404(request.user, pk)
    if req.status != RequestStatus.PENDING:
        # Decided meanwhile (another manager, another tab, expiry): say so, by whom and
        # when, instead of a form that can no longer do anything.
        return render(
            request,
            "affiliations/request_decided.html",
            {"title": _("Request already decided"), "req": req},
        )
    form = RefusalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _refuse(request, [req], form.cleaned_data["reason"])
        return redirect("affiliations:users-area")
    return _render_refusal(request, [req], form, bulk=False)


@login_required
@require_http_methods(["GET", "POST"])
def role_transfer(request, pk: int):
    # The main manager alone: a delegate (Organisation – Modification) may manage the
    # structure but not hand the role on, so for them the page does not exist.
    structure = main_managed_structure_or_404(request.user, pk)
    candidates = selectors.transfer_candidates(structure)
    form = TransferForm(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_main_manager(
                structure=structure,
                to_user=form.cleaned_data["new_manager"],
                by=request.user,
                http_request=request,
            )
        except services.NotMainManager:
            # The role was handed on meanwhile (another tab): no longer theirs.
            raise Http404 from None
        except services.AffiliationError:
            form.add_error("new_manager", _("Choose an active user of this structure."))
        else:
            messages.success(
                request,
                _("%(name)s is now the main manager %(of_structure)s.")
                % {
                    "name": form.cleaned_data["new_manager"],
                    "of_structure": of_structure(structure.company_name),
                },
            )
            return redirect("affiliations:users-area")
    # The members are searched and paged (a structure may have thousands): the form
    # still accepts any active member of the structure, whatever page shows them.
    member_query = request.GET.get("member_q", "").strip()[:100]
    return render(
        request,
        "affiliations/role_transfer.html",
        {
            "title": _("Transfer the main manager role"),
            "structure": structure,
            "form": form,
            "member_query": member_query,
            "candidates_page": selectors.search_transfer_candidates(
                structure, member_query, page=request.GET.get("page")
            ),
            "chosen": str(request.POST.get("new_manager", "")),
        },
    )


@login_required
@require_POST
def member_reactivate(request, pk: int):
    """A manager reactivates a deactivated account attached to one of their structures."""
    from accounts.services import reactivate

    affiliation = (
        Affiliation.objects.select_related("user", "structure")
        .filter(pk=pk, status=AffiliationStatus.DEACTIVATED)
        .first()
    )
    if affiliation is None or not may_manage(request.user, affiliation.structure_id):
        raise Http404
    if reactivate(user=affiliation.user, by=request.user, http_request=request):
        messages.success(
            request, _("The account of %(name)s has been reactivated.") % {"name": affiliation.user}
        )
    return redirect("affiliations:users-area")


@require_http_methods(["GET", "POST"])
def account_inactive(request):
    """Where allauth sends a deactivated account's correct password step.

    It explains what happened and who can reactivate the account. A browser that has
    just typed the account's password (accounts.inactive, 15 minutes) may ask for the
    reactivation in one step, once; nobody else can, and the page shows nothing of the
    account either way.
    """
    from accounts import inactive

    user = inactive.proven_user(request)
    # Every field is optional: an empty POST is still a submission.
    form = ReactivationRequestForm(request.POST if request.method == "POST" else None)
    asked_at = services.reactivation_asked_at(user) if user is not None else None
    if request.method == "POST":
        if user is None:
            messages.error(
                request,
                _(
                    "To ask for the reactivation of your account, sign in again with your "
                    "login address and password."
                ),
            )
            return redirect("account_inactive")
        if asked_at is None and form.is_valid():
            comment = form.cleaned_data["comment"].strip() or _(
                "Reactivation asked from the sign-in page."
            )
            try:
                services.request_reactivation(user=user, comment=comment, http_request=request)
            except services.ReactivationAlreadyAsked as already:
                asked_at = already.asked_at
            else:
                inactive.forget(request)
                messages.success(
                    request,
                    _("Your request has been sent. You will receive an e-mail when it is decided."),
                )
                return redirect("account_inactive")
    return render(
        request,
        "affiliations/account_inactive.html",
        {
            "title": _("Your account is deactivated"),
            "can_ask": user is not None and asked_at is None,
            "asked_at": asked_at,
            "form": form,
        },
    )
