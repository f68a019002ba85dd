"""Outbound call campaigns (the phone-manager service, DOMAIN.md §5.2): a target rule over a region,
a call list generated set-based and split among callers, call outcomes and campaign results."""
