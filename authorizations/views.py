from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from affiliations import workflow
from affiliations.models import Affiliation, AffiliationStatus, Service
from affiliations.permissions import may_manage
from chorus_portal.converters import parse_id

from . import selectors, services
from .forms import ProfileTable, ScopeForm
from .models import Level


@login_required
@require_GET
def authorization_list(request):
    return render(
        request,
        "authorizations/authorization_list.html",
        {
            "title": _("My authorizations"),
            "groups": selectors.profiles_by_scope(request.user, page=request.GET.get("page")),
        },
    )


def _service_or_404(affiliation: Affiliation, service_id) -> Service | None:
    """The scope asked for: None for the whole structure, else one of its services."""
    if service_id in (None, ""):
        if not affiliation.whole_structure:
            raise Http404
        return None
    service_pk = parse_id(service_id)
    if service_pk is None:
        raise Http404
    try:
        service = Service.objects.get(pk=service_pk, structure_id=affiliation.structure_id)
    except Service.DoesNotExist:
        raise Http404 from None
    if not services.scope_allowed(affiliation.user, affiliation.structure, service):
        raise Http404
    return service


def _manage(request, *, affiliation: Affiliation, template_context: dict):
    """The manage form for `affiliation.user` at one scope, decided by `request.user`."""
    target = affiliation.user
    params = request.POST if request.method == "POST" else request.GET
    has_scope = "service" in params
    service = _service_or_404(affiliation, params.get("service")) if has_scope else None
    context = {
        **template_context,
        "affiliation": affiliation,
        "target": target,
        "service": service,
        "scope_chosen": has_scope,
        "service_query": request.GET.get("service_q", "")[:100],
        "services": selectors.scopes_for(affiliation, request.GET.get("service_q", "")[:100]),
        "levels": Level.choices,
    }
    # Each step has its own title: the structure chosen, then the scope whose profiles are shown.
    steps = [affiliation.structure.company_name, str(template_context["title"])]
    if has_scope:
        steps.insert(0, f"{service.code} — {service.name}" if service else _("Whole structure"))
    context["heading"] = template_context["title"]
    context["title"] = " — ".join(steps)
    if not has_scope:
        return render(request, "authorizations/authorization_manage.html", context)
    current = services.profiles_at(target, affiliation.structure, service)
    if request.method == "POST":
        table = ProfileTable(request.POST)
        scope_form = ScopeForm(request.POST)
        if table.is_submit and scope_form.is_valid():
            try:
                result = services.save_profiles(
                    user=target,
                    structure=affiliation.structure,
                    service=service,
                    desired=table.desired,
                    by=request.user,
                    http_request=request,
                    comment=scope_form.cleaned_data["comment"]
                    or _("Change of authorizations requested from “Manage my authorizations”."),
                )
            except workflow.DuplicateRequest:
                table.errors.append(
                    _("The same authorization request is already waiting for a manager.")
                )
            except (services.ScopeNotAllowed, services.MainManagerProtected):
                raise Http404 from None
            else:
                if result.request is not None:
                    messages.success(
                        request,
                        _(
                            "Your changes were saved. The new or higher profiles were sent to the "
                            "structure's managers for validation (request #%(id)s)."
                        )
                        % {"id": result.request.pk},
                    )
                else:
                    messages.success(request, _("The authorizations have been updated."))
                return redirect(template_context["success_url"])
    else:
        table = ProfileTable(initial=current)
        scope_form = ScopeForm()
    context.update(
        {
            "table": table,
            "scope_form": scope_form,
            "current": current,
            # The table's own errors (not a Django form's): "Error: " in the title all the same.
            "page_has_errors": bool(table.errors),
        }
    )
    return render(request, "authorizations/authorization_manage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def authorization_manage(request):
    params = request.POST if request.method == "POST" else request.GET
    affiliation_id = parse_id(params.get("affiliation"))
    if affiliation_id is None:
        return render(
            request,
            "authorizations/authorization_manage.html",
            {
                "title": _("Manage my authorizations"),
                "choices": selectors.active_affiliations_page(
                    request.user, page=request.GET.get("page")
                ),
                "own": True,
            },
        )
    affiliation = selectors.active_affiliation(request.user, affiliation_id)
    if affiliation is None:
        raise Http404
    return _manage(
        request,
        affiliation=affiliation,
        template_context={
            "title": _("Manage my authorizations"),
            "success_url": "affiliations:users-area",
            "own": True,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_authorizations(request, pk: int):
    """A manager grants, changes or removes a member's profiles directly."""
    try:
        affiliation = Affiliation.objects.select_related("structure", "user").get(
            pk=pk, status=AffiliationStatus.ACTIVE
        )
    except Affiliation.DoesNotExist:
        raise Http404 from None
    if not may_manage(request.user, affiliation.structure_id):
        raise Http404
    if affiliation.is_main_manager and affiliation.user_id != request.user.pk:
        # A delegate (Organisation – Modification) manages the other members, never the
        # main manager: their profiles are theirs and staff's alone ("not yours": 404).
        raise Http404
    return _manage(
        request,
        affiliation=affiliation,
        template_context={
            "title": _("Profiles of %(name)s") % {"name": affiliation.user},
            "success_url": "affiliations:users-area",
            "own": False,
        },
    )
