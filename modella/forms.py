from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from modella import security
from modella.models import UserSettings


class LoginForm(AuthenticationForm):
    """The login form, refusing further attempts for a while after repeated failures."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = security.client_ip(self.request)
        if security.is_locked_out(username, ip):
            raise forms.ValidationError(
                security.LOCKOUT_MESSAGE % {"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60}, code="locked_out"
            )
        cleaned = super().clean()
        security.clear_failures(username, ip)
        return cleaned


class OwnerCreationForm(UserCreationForm):
    class Meta:
        model = get_user_model()
        fields = ("username",)

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user


class SettingsForm(forms.ModelForm):
    """Preferences plus the two write-only token fields: blank keeps the saved token."""

    hf_token = forms.CharField(
        label=_("Hugging Face token"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Needed for gated and private repositories. Leave blank to keep the saved token."),
    )
    civitai_token = forms.CharField(
        label=_("Civitai API key"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Needed for models that require a login. Leave blank to keep the saved key."),
    )
    clear_hf_token = forms.BooleanField(label=_("Remove the saved Hugging Face token"), required=False)
    clear_civitai_token = forms.BooleanField(label=_("Remove the saved Civitai API key"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = UserSettings
        fields = ("language", "theme", "show_featured", "nsfw_level", "nsfw_blur", "keyboard_shortcuts")
        labels = {
            "theme": _("Theme"),
            "show_featured": _("Show featured models"),
            "nsfw_level": _("Highest content rating to show"),
            "nsfw_blur": _("Blur images above that rating instead of hiding them"),
            "keyboard_shortcuts": _("Single-key keyboard shortcuts"),
        }
        help_texts = {
            "keyboard_shortcuts": _("Keys such as / (search), d (download) and q (queue) act at once when you are "
                                    "not typing in a field. Turn them off if they get in your way, for example "
                                    "with speech input."),
        }

    def save(self, commit: bool = True):
        obj = super().save(commit=False)
        if self.cleaned_data.get("clear_hf_token"):
            obj.hf_token = ""
        elif self.cleaned_data.get("hf_token"):
            obj.hf_token = self.cleaned_data["hf_token"].strip()
        if self.cleaned_data.get("clear_civitai_token"):
            obj.civitai_token = ""
        elif self.cleaned_data.get("civitai_token"):
            obj.civitai_token = self.cleaned_data["civitai_token"].strip()
        if obj.show_featured:
            obj.featured_dismissed_at = None
        if commit:
            obj.save()
        return obj


class LookupForm(forms.Form):
    """The Download model dialog's input: a repo name, a Hub or Civitai URL, or a file link."""

    input = forms.CharField(
        label=_("Repository or link"), max_length=2048,
        help_text=_("For example TheBloke/Llama-2-7B-Chat-GGUF, a Hugging Face URL or file link, or a Civitai URL."),
    )

    def clean_input(self):
        from catalog import resolve
        from modella.errors import InvalidInput

        try:
            return resolve.parse(self.cleaned_data["input"])
        except InvalidInput as exc:
            raise forms.ValidationError(str(exc.message), code="invalid_input") from None


class DownloadForm(forms.Form):
    """The variant and priority chosen in the Download model dialog."""

    PRIORITIES = [("low", _("Low")), ("normal", _("Normal")), ("high", _("High")), ("urgent", _("Urgent"))]

    variant = forms.ModelChoiceField(
        queryset=None, label=_("File"), error_messages={"required": _("Choose a file to download.")}
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITIES, initial="normal")

    def __init__(self, *args, **kwargs):
        from catalog.models import ModelVariant

        super().__init__(*args, **kwargs)
        self.fields["variant"].queryset = ModelVariant.objects.select_related("repository")
