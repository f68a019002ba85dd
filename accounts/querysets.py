from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from org.models import Region


class AccountQuerySet(models.QuerySet):
    def active(self) -> AccountQuerySet:
        return self.filter(status="active")

    def in_region(self, region: Region) -> AccountQuerySet:
        from org.models import Region

        return self.filter(
            region_id__in=Region.objects.filter(path__startswith=region.path).values("id")
        )

    def search(self, text: str) -> AccountQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(models.Q(name__icontains=text) | models.Q(code__icontains=text))
