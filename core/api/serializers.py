from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so a client cannot believe it set
    something that was silently ignored (owner, scores, ...)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            read_only = sorted(k for k in data if k in self.fields and self.fields[k].read_only)
            errors = {key: [_("Unknown field.")] for key in unknown}
            errors.update({key: [_("This field cannot be set.")] for key in read_only})
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
