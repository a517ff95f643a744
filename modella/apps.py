from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_schedules(sender, **kwargs) -> None:
    from modella import schedules

    schedules.ensure()


class ModellaConfig(AppConfig):
    name = "modella"
    verbose_name = _("Modella")

    def ready(self) -> None:
        from modella import security  # noqa: F401  (connects the login-failure receiver)

        post_migrate.connect(_ensure_schedules, sender=self)
