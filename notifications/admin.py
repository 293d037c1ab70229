from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorus_portal.admin_paginator import LargeTablePaginator

from .models import Event
from .services import publish_event

PUBLISH_FIELDS = ["application", "structure", "service", "kind", "title", "link"]


class PublishEventForm(forms.ModelForm):
    """Staff publish an event as an application would: the same checks, the same mails."""

    link = forms.URLField(label=_("link"), max_length=500, assume_scheme="https")

    class Meta:
        model = Event
        fields = PUBLISH_FIELDS

    def clean(self):
        cleaned = super().clean()
        structure, service = cleaned.get("structure"), cleaned.get("service")
        if structure and service and service.structure_id != structure.pk:
            self.add_error("service", _("This service does not belong to the structure."))
        return cleaned


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Published notifications: read-only once published; "Add" publishes one through
    `publish_event`, exactly as the other applications do."""

    list_display = [
        "published_at",
        "application",
        "structure",
        "service",
        "kind",
        "title",
        "recipients",
    ]
    list_filter = ["application", "published_at"]
    search_fields = ["title", "kind", "structure__company_name", "structure__identifier"]
    list_select_related = ["structure", "service"]
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    show_full_result_count = False
    raw_id_fields = ["structure", "service", "published_by"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PublishEventForm
            kwargs["fields"] = PUBLISH_FIELDS
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return PUBLISH_FIELDS
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return
        event = publish_event(
            obj.application,
            obj.structure,
            obj.kind,
            obj.title,
            obj.link,
            service=obj.service,
            by=request.user,
            http_request=request,
        )
        obj.pk = event.pk
        obj.published_at = event.published_at
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
