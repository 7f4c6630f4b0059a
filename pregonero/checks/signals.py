"""Keep ``settings_for`` fresh: a saved profile or entry drops this process's copy,
and an entry's change moves its profile's ``updated_at`` so that other
processes rebuild theirs too."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .config import forget
from .models import CheckProfile, WordListEntry


@receiver(post_save, sender=CheckProfile)
@receiver(post_delete, sender=CheckProfile)
def profile_changed(sender: Any, instance: CheckProfile, **kwargs: Any) -> None:
    forget(instance.organization_id)


@receiver(post_save, sender=WordListEntry)
@receiver(post_delete, sender=WordListEntry)
def entry_changed(sender: Any, instance: WordListEntry, **kwargs: Any) -> None:
    profiles = CheckProfile.objects.filter(pk=instance.profile_id)
    profiles.update(updated_at=timezone.now())
    forget(profiles.values_list("organization_id", flat=True).first())
