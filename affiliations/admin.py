import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.emails import lookup_key
from chorus_portal.admin_filters import InputFilter
from chorus_portal.admin_forms import ConstraintCheckingInlineFormSet
from chorus_portal.admin_inlines import LatestRowsInlineMixin
from chorus_portal.admin_paginator import LargeTablePaginator
from chorus_portal.names import of_structure

from . import workflow
from .admin_import import StructureImportAdminMixin
from .forms import RefusalForm
from .models import Service, Structure
from .permissions import manager_exists
from .search import fold


class StructureIdentifierFilter(InputFilter):
    """Rows of one structure, found by its identifier (an indexed, exact match)."""

    title = _("structure")
    input_label = _("Identifier (SIRET…)")
    parameter_name = "structure_identifier"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip().upper()
        if not value:
            return queryset
        # The structures first, by their identifier's index; then the rows by their own
        # structure column (a join under an OR made PostgreSQL join whole tables).
        identifiers = {value, re.sub(r"[\s.]", "", value)}
        found = Structure.objects.filter(identifier__in=identifiers).values_list("pk", flat=True)
        return queryset.filter(structure_id__in=list(found[:50]))


SERVICES_SHOWN = 20


def _person_or_structure(term: str, person: str = "user") -> Q:
    """An exact login address, or an exact structure identifier: both indexed."""
    term = term.strip()
    if not term:
        return Q()
    if "@" in term:
        email = lookup_key(term)
        return Q(**{f"{person}__email": email}) if email else Q(pk__in=[])
    upper = term.upper()
    return Q(structure__identifier=upper) | Q(structure__identifier=re.sub(r"[\s.]", "", upper))


def _words(term: str, compact_identifier: bool = True) -> Q | None:
    """Every typed word in the folded search column (trigram-indexed on PostgreSQL)."""
    folded = fold(term)
    if not folded:
        return None
    condition = Q()
    for word in folded.split():
        condition &= Q(search_text__contains=word)
    compact = folded.replace(" ", "")
    if compact_identifier and compact != folded and compact.isdigit():
        condition |= Q(search_text__contains=compact)
    return condition


@admin.register(Structure)
class StructureAdmin(StructureImportAdminMixin, admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("company_name", "identifier_type", "identifier", "kind", "status", "city")
    list_filter = ("kind", "status", "identifier_type")
    # A million rows: no full count; the search reads the indexed search column.
    show_full_result_count = False
    search_fields = ("search_text",)
    search_help_text = _(
        "Beginnings of words of the company name, or an identifier (SIRET…): every word "
        "must match; “public”, “privée”, “SIRET”… filter on the kind or the type. The "
        "first 1,000 matches are listed."
    )
    fieldsets = (
        (None, {"fields": ("identifier_type", "identifier", "company_name", "kind", "status")}),
        (_("Address"), {"fields": ("street", "postal_code", "city", "country")}),
        (
            _("Invoicing rules"),
            {"fields": ("service_code_required", "engagement_number_required")},
        ),
        (_("Services"), {"fields": ("services_overview",)}),
    )
    readonly_fields = ("services_overview",)
    change_list_template = "admin/affiliations/structure/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        """The portal's search (word prefixes, kind and type words, short words aside),
        at most its first 1,001 matches: then sorted, never the whole table read in order."""
        from .selectors import SEARCH_COUNT_CAP, matching_structures, parse_structure_query

        if not search_term.strip():
            return queryset, False
        matches = matching_structures(queryset, parse_structure_query(search_term))
        ids = list(matches.order_by().values_list("pk", flat=True)[: SEARCH_COUNT_CAP + 1])
        return queryset.filter(pk__in=ids), False

    def get_ordering(self, request):
        if request.GET.get("q", "").strip():
            # Not the indexed company_name: PostgreSQL would read that index in order
            # looking for the few matches, which crowd together in that order.
            return [Lower("company_name"), "pk"]
        return super().get_ordering(request)

    @admin.display(description=_("services"))
    def services_overview(self, obj):
        """The first services, read-only, and a link to all of them: a structure may have
        thousands, which no inline form can hold."""
        if obj is None or obj.pk is None:
            return _("Save the structure first, then add its services.")
        services = list(obj.services.order_by("code", "id")[:SERVICES_SHOWN])
        total = obj.services.count()
        all_url = (
            reverse("admin:affiliations_service_changelist") + f"?structure__id__exact={obj.pk}"
        )
        add_url = reverse("admin:affiliations_service_add") + f"?structure={obj.pk}"
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:affiliations_service_change", args=[s.pk]),
                    s.code,
                    s.name,
                    _("yes") if s.active else _("no"),
                    s.valid_until or "—",
                )
                for s in services
            ),
        )
        table = (
            format_html(
                '<table><caption>{}</caption><thead><tr><th scope="col">{}</th>'
                '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
                "</tr></thead><tbody>{}</tbody></table>",
                _("The first %(shown)d of %(total)d services, by code")
                % {"shown": len(services), "total": total},
                _("code"),
                _("name"),
                _("active"),
                _("valid until"),
                rows,
            )
            if services
            else format_html("<p>{}</p>", _("No service yet."))
        )
        return format_html(
            '{}<p><a href="{}">{}</a> · <a href="{}">{}</a></p>',
            table,
            all_url,
            _("See all %(total)d services (search, filters)") % {"total": total},
            add_url,
            _("Add a service"),
        )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("code", "name", "structure", "active", "valid_from", "valid_until")
    list_filter = ("active", "engagement_number_required", StructureIdentifierFilter)
    search_fields = ("search_text",)
    search_help_text = _("Words of the service's code or name: every word must match.")
    list_select_related = ("structure",)
    raw_id_fields = ("structure",)
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        condition = _words(search_term, compact_identifier=False)
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False


from .models import (  # noqa: E402
    Affiliation,
    AffiliationStatus,
    Request,
    RequestStatus,
    Role,
    StructureImport,
)


class AffiliationAdminForm(forms.ModelForm):
    """The role is read-only in the admin: the action below hands it on, through the
    same service as the Users area (log, mails). Nothing else here may make a second
    main manager, nor take the main manager away from their structure."""

    class Meta:
        model = Affiliation
        fields = ("user", "structure", "whole_structure", "services", "status")

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or instance.role != Role.MAIN_MANAGER:
            return cleaned
        # The instance still holds the saved values: the form's are copied onto it later.
        active = AffiliationStatus.ACTIVE
        old_status = instance.status
        new_status = cleaned.get("status", old_status)
        moved = any(
            name in cleaned
            and getattr(cleaned[name], "pk", None) != getattr(instance, f"{name}_id")
            for name in ("user", "structure")
        )
        if moved or (old_status != new_status and active in (old_status, new_status)):
            raise forms.ValidationError(
                _(
                    "This is the main manager's affiliation: its user, structure and status "
                    "cannot change here. Hand the role on first with the action “Make the "
                    "selected user the main manager of their structure”."
                )
            )
        return cleaned


class AffiliationInlineFormSet(ConstraintCheckingInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form) and form.instance.pk:
                if form.instance.role == Role.MAIN_MANAGER:
                    raise forms.ValidationError(
                        _(
                            "The main manager's affiliation cannot be deleted: hand the role "
                            "on first."
                        )
                    )


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    form = AffiliationAdminForm
    list_display = ("user", "structure", "role", "status", "whole_structure", "created_at")
    list_filter = ("role", "status", "whole_structure")
    search_fields = ("user__email",)
    search_help_text = _("A login address (exact) or a structure's identifier (exact).")
    list_select_related = ("user", "structure")
    show_full_result_count = False
    # Newest first, by the primary key: the model's order (the structure's name) joined
    # and sorted a million rows, or read the names' index until a rare status turned up.
    ordering = ("-pk",)

    def get_search_results(self, request, queryset, search_term):
        return queryset.filter(_person_or_structure(search_term)), False

    raw_id_fields = ("user", "structure")
    readonly_fields = ("role",)
    filter_horizontal = ()
    autocomplete_fields = ()
    actions = ["make_main_manager"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "services":
            from django.contrib.admin.widgets import ManyToManyRawIdWidget

            kwargs["widget"] = ManyToManyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.MAIN_MANAGER:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk delete action: never the main manager's affiliation.
        kept = queryset.filter(role=Role.MAIN_MANAGER).count()
        if kept:
            messages.warning(
                request,
                ngettext(
                    "%(count)d main manager affiliation kept: hand the role on first.",
                    "%(count)d main manager affiliations kept: hand the role on first.",
                    kept,
                )
                % {"count": kept},
            )
        super().delete_queryset(request, queryset.exclude(role=Role.MAIN_MANAGER))

    @admin.action(description=_("Make the selected user the main manager of their structure"))
    def make_main_manager(self, request, queryset):
        from .services import AffiliationError, transfer_main_manager

        chosen = list(queryset.select_related("user", "structure")[:2])
        if len(chosen) != 1:
            messages.error(
                request, _("Select exactly one affiliation: a structure has one main manager.")
            )
            return
        affiliation = chosen[0]
        try:
            transfer_main_manager(
                structure=affiliation.structure,
                to_user=affiliation.user,
                by=request.user,
                http_request=request,
                as_staff=True,
            )
        except AffiliationError:
            messages.error(
                request,
                _(
                    "Only an active affiliation of someone who is not the main manager can receive "
                    "the role."
                ),
            )
            return
        messages.success(
            request,
            _("%(name)s is now the main manager %(of_structure)s.")
            % {
                "name": affiliation.user,
                "of_structure": of_structure(affiliation.structure.company_name),
            },
        )


class NeedsStaffFilter(admin.SimpleListFilter):
    """Pending requests on a structure nobody may manage: only staff can decide them."""

    title = _("who decides")
    parameter_name = "needs_staff"

    def lookups(self, request, model_admin):
        return [("yes", _("Needs staff (the structure has no manager)"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        # Read once (capped like the lists' counts), then listed and counted by id: the
        # two subqueries per pending request otherwise run for the count and the page.
        ids = list(needs_staff(queryset).order_by().values_list("pk", flat=True)[:NEEDS_STAFF_CAP])
        return queryset.filter(pk__in=ids)


NEEDS_STAFF_CAP = 10_000


def needs_staff(queryset):
    return queryset.filter(
        *[~exists for exists in manager_exists("structure_id")],
        status=RequestStatus.PENDING,
        structure__isnull=False,
    )


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("id", "kind", "requester", "structure", "status", "created_at", "decided_by")
    list_filter = ("kind", "status", NeedsStaffFilter, StructureIdentifierFilter)
    list_select_related = ("requester", "structure", "decided_by")
    # 2 million rows: no full count, and searches on indexed columns only.
    show_full_result_count = False
    search_fields = ("requester__email",)
    search_help_text = _(
        "A request number, the requester's login address, or a structure's identifier."
    )
    readonly_fields = (
        "kind",
        "requester",
        "structure",
        "whole_structure",
        "services",
        "comment",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "refusal_reason",
    )
    exclude = ("fingerprint",)
    actions = ["approve_requests", "refuse_requests", "cancel_requests"]
    change_form_template = "admin/affiliations/request/change_form.html"

    def get_search_results(self, request, queryset, search_term):
        """A number, an address or an identifier, each looked up first in its own index:
        the list is then filtered on the request's own columns. (Joins on either side of
        an OR made PostgreSQL read every request, user and structure: seconds.)"""
        from accounts.models import User

        term = search_term.strip()
        if not term:
            return queryset, False
        upper = term.upper()
        identifiers = {upper, re.sub(r"[\s.]", "", upper)}
        structures = list(
            Structure.objects.filter(identifier__in=identifiers).values_list("pk", flat=True)[:50]
        )
        condition = Q(structure_id__in=structures) if structures else Q(pk__in=[])
        number = term.removeprefix("#")
        if number.isdigit() and len(number) < 19:
            condition |= Q(pk=int(number))
        email = lookup_key(term) if "@" in term else None
        requester = (
            User.objects.filter(email=email).values_list("pk", flat=True).first() if email else None
        )
        if requester is not None:
            condition |= Q(requester_id=requester)
        return queryset.filter(condition), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A request's page is read-only; deciding is the actions' and the decision page's.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # The history stays: a request is cancelled, never deleted.
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{info[0]}_{info[1]}_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_decide": self.has_change_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    # --- deciding: the same workflow functions as the Users area --------------------

    def _decide(self, request, reqs, *, approve: bool, reason: str = "") -> int:
        decided = 0
        for req in reqs:
            if req.status != RequestStatus.PENDING:
                messages.warning(
                    request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
                )
                continue
            if approve and not workflow.has_handler(req.kind):
                messages.error(
                    request,
                    _("Request #%(id)s is not decided by approval: it completes by itself.")
                    % {"id": req.pk},
                )
                continue
            try:
                workflow.decide(
                    req=req, by=request.user, approve=approve, reason=reason, http_request=request
                )
                decided += 1
            except workflow.AlreadyDecided:
                messages.warning(
                    request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
                )
            except workflow.WorkflowError:
                messages.error(
                    request,
                    _(
                        "Request #%(id)s could not be applied: the requester is no longer "
                        "attached where it applies. Nothing was changed; refuse it with a reason."
                    )
                    % {"id": req.pk},
                )
        if decided:
            if approve:
                message = ngettext(
                    "%(count)d request approved.", "%(count)d requests approved.", decided
                )
            else:
                message = ngettext(
                    "%(count)d request refused.", "%(count)d requests refused.", decided
                )
            messages.success(request, message % {"count": decided})
        return decided

    def _cancel(self, request, reqs) -> int:
        cancelled = 0
        for req in reqs:
            if workflow.cancel(req=req, by=request.user, http_request=request, notify=True):
                cancelled += 1
            else:
                messages.warning(
                    request, _("Request #%(id)s had already been decided.") % {"id": req.pk}
                )
        if cancelled:
            messages.success(
                request,
                ngettext("%(count)d request cancelled.", "%(count)d requests cancelled.", cancelled)
                % {"count": cancelled},
            )
        return cancelled

    @admin.action(description=_("Approve the selected requests"), permissions=["change"])
    def approve_requests(self, request, queryset):
        self._decide(request, queryset.select_related("requester", "structure"), approve=True)

    @admin.action(
        description=_("Refuse the selected requests (a reason is asked)"), permissions=["change"]
    )
    def refuse_requests(self, request, queryset):
        reqs = list(queryset.select_related("requester", "structure")[: REFUSE_AT_ONCE + 1])
        if len(reqs) > REFUSE_AT_ONCE:
            messages.error(
                request,
                _("Refuse at most %(count)d requests at once.") % {"count": REFUSE_AT_ONCE},
            )
            return None
        form = RefusalForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._decide(request, reqs, approve=False, reason=form.cleaned_data["reason"])
            return None
        return TemplateResponse(
            request,
            "admin/affiliations/request/refuse.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Refuse requests"),
                "opts": self.opts,
                "reqs": reqs,
                "form": form,
                "action": "refuse_requests",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @admin.action(description=_("Cancel the selected requests"), permissions=["change"])
    def cancel_requests(self, request, queryset):
        self._cancel(request, queryset.select_related("requester", "structure"))

    def decide_view(self, request, object_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        req = self.get_object(request, unquote(object_id))
        if req is None:
            raise Http404
        form = RefusalForm(request.POST if request.POST.get("decision") == "refuse" else None)
        if request.method == "POST":
            decision = request.POST.get("decision")
            done = False
            if decision == "approve":
                done = self._decide(request, [req], approve=True)
            elif decision == "cancel":
                done = self._cancel(request, [req])
            elif decision == "refuse" and form.is_valid():
                done = self._decide(
                    request, [req], approve=False, reason=form.cleaned_data["reason"]
                )
            if done or decision in ("approve", "cancel"):
                return HttpResponseRedirect(
                    reverse("admin:affiliations_request_change", args=[req.pk])
                )
        return TemplateResponse(
            request,
            "admin/affiliations/request/decide.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Decide request #%(id)s") % {"id": req.pk},
                "opts": self.opts,
                "original": req,
                "req": req,
                "form": form,
                "has_manager": req.structure_id is not None
                and not needs_staff(Request.objects.filter(pk=req.pk)).exists(),
                "approvable": workflow.has_handler(req.kind),
            },
        )


REFUSE_AT_ONCE = 500


@admin.register(StructureImport)
class StructureImportAdmin(admin.ModelAdmin):
    """The history of CSV imports; each one's report is on its import page."""

    list_display = ("file_name", "created_at", "uploaded_by", "status", "created", "report")
    list_filter = ("status",)
    list_select_related = ("uploaded_by",)
    fields = (
        "file_name",
        "created_at",
        "uploaded_by",
        "status",
        "lines",
        "valid",
        "error_count",
        "created",
        "imported_at",
        "failure",
        "report",
    )
    readonly_fields = fields

    @admin.display(description=_("report"))
    def report(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:affiliations_structure_import_detail", args=[obj.pk]),
            _("Open the report"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AffiliationInline(LatestRowsInlineMixin, admin.TabularInline):
    """The user's latest affiliations, on the user's admin page."""

    model = Affiliation
    fk_name = "user"
    extra = 0
    form = AffiliationAdminForm
    formset = AffiliationInlineFormSet
    fields = ("structure", "role", "status", "whole_structure", "created_at")
    readonly_fields = ("role", "created_at")
    raw_id_fields = ("structure",)
    show_change_link = True


def _attach_user_inlines():
    from accounts.admin import UserAdmin

    if AffiliationInline not in UserAdmin.inlines:
        UserAdmin.inlines = [*UserAdmin.inlines, AffiliationInline]


_attach_user_inlines()
