from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinksConfig(AppConfig):
    name = "links"
    verbose_name = _("App folders")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from catalog.models import ModelVariant
        from downloads.signals import download_finished
        from links import receivers

        download_finished.connect(receivers.on_download_finished, dispatch_uid="links.download_finished")
        pre_save.connect(receivers.remember_removed_files, sender=ModelVariant, dispatch_uid="links.variant_pre")
        post_save.connect(receivers.unlink_removed_files, sender=ModelVariant, dispatch_uid="links.variant_post")
