from django.contrib import admin

from lists.models import ModelList, ModelListItem


class ModelListItemInline(admin.TabularInline):
    model = ModelListItem
    extra = 0


@admin.register(ModelList)
class ModelListAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "updated_at")
    search_fields = ("name", "owner__username")
    inlines = [ModelListItemInline]
