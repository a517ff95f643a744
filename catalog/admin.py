from django.contrib import admin

from catalog.models import FeaturedModel, ModelRepository, ModelVariant


class ModelVariantInline(admin.TabularInline):
    model = ModelVariant
    extra = 0
    fields = ("filename", "size", "quant_method", "is_recommended", "local_path")
    readonly_fields = ("local_path",)


@admin.register(ModelRepository)
class ModelRepositoryAdmin(admin.ModelAdmin):
    list_display = ("repo", "source", "model_type", "family", "likes", "synced_at")
    list_filter = ("source", "model_type", "family")
    search_fields = ("repo", "name", "description")
    inlines = [ModelVariantInline]


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ("filename", "repository", "size", "quant_method", "local_path")
    list_filter = ("format", "repository__source")
    search_fields = ("filename", "repository__repo")
    raw_id_fields = ("repository",)


@admin.register(FeaturedModel)
class FeaturedModelAdmin(admin.ModelAdmin):
    list_display = ("title", "repo", "category", "order", "active", "published_at", "ends_at")
    list_editable = ("order", "active")
    list_filter = ("category", "active")
    search_fields = ("title", "repo")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("repository",)
