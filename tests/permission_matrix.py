"""Expected outcome of every route for every role: the data behind test_permission_matrix.py.

Keys are URL names as `reverse()` takes them (`api:account-detail`), or a namespace wildcard
(`admin:*`) that covers every route of that namespace without an exact entry; a route without a
name outside a namespace is keyed by its full pattern ("/healthz/"). A route that matches no key
fails the suite: adding a page or an endpoint means saying here who may use it.

Each `Rule` gives, per HTTP method, the status every role gets. Write methods are sent an empty
body, so a role that may write reaches validation (400) and one that may not is refused before it
(401 anonymous, 403 wrong role). `sample` names the object the route's URL kwargs come from (see
`KWARGS` in the test); for every sample in `FOREIGN_VARIANT_SAMPLES` the test also requests the
same route with the same kind of object of another portfolio (another region's account, task,
campaign, call or account manager) and expects 404 for the account manager and the regional manager
on every method: never 403, so a URL cannot be used to learn that an object exists.

API routes are called with a bearer token (staff) or an API key (the billing client); HTML pages
with a session (`client.force_login`). Other helpers add their pages' rules here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
ACCOUNT_MANAGER = "account_manager"
REGIONAL_MANAGER = "regional_manager"
HQ = "hq"
BILLING_CLIENT = "billing_client"
ROLES = (ANONYMOUS, ACCOUNT_MANAGER, REGIONAL_MANAGER, HQ, BILLING_CLIENT)

# Samples that belong to a portfolio or a region: the foreign variant (the same kind of object
# of another portfolio, in another city) applies to them. Those whose URL names an account (by
# code), a retention task on an account, a call campaign of a region and one of its calls, and an
# account manager's KPI scorecard.
FOREIGN_VARIANT_SAMPLES = frozenset(
    {
        "account",
        "key_person",
        "member",
        "activity",
        "service_request",
        "team_member",
        "retention_task",
        "campaign",
        "campaign_call",
        "kpi_manager",
    }
)
# Roles limited to a portfolio: in the foreign variant they get 404 on every method.
PORTFOLIO_ROLES = (ACCOUNT_MANAGER, REGIONAL_MANAGER)


def expect(
    anonymous: int, account_manager: int, regional_manager: int, hq: int, billing_client: int
) -> dict[str, int]:
    return {
        ANONYMOUS: anonymous,
        ACCOUNT_MANAGER: account_manager,
        REGIONAL_MANAGER: regional_manager,
        HQ: hq,
        BILLING_CLIENT: billing_client,
    }


@dataclass(frozen=True)
class Rule:
    methods: dict[str, dict[str, int]]
    # What the URL kwargs are taken from: None (no kwargs); of the account manager's portfolio:
    # "account", "key_person", "member", "activity", "service_request", "team_member",
    # "retention_task" (an open task on the account), "notification" (the account manager's own),
    # "campaign" (an active call campaign of the regional manager's city with the account
    # manager among its callers), "campaign_call" (a call of it given to the account manager, about
    # an account of another account manager), "kpi_manager" (the account manager, by username);
    # shared: "batch" (a billing batch the billing client posted), "run" (a scoring run),
    # "kpi_scheme" (the KPI scheme of 2026); or "generic" (placeholder values; for routes whose
    # every answer comes before any lookup, such as the admin's login redirect).
    sample: str | None = None
    # "token" (API: bearer token / API key) or "session" (HTML: force_login). None: "token" for
    # paths under /api/, else "session".
    auth: str | None = None
    # Per method, the body sent (default: empty).
    bodies: dict[str, dict] = field(default_factory=dict)
    # Where a 302 must lead (a substring of Location): by default the login page, so a redirect
    # is never mistaken for access.
    redirect: str = "login"


# Staff read CRM data; the billing client is refused; nobody anonymous gets in.
CRM_READ = expect(401, 200, 200, 200, 403)
# Staff may write (the empty body then fails validation: 400).
CRM_WRITE = expect(401, 400, 400, 400, 403)
# Pages: anonymous visitors are sent to the login page.
PAGE_READ = expect(302, 200, 200, 200, 403)
# Django admin is for administrators; none of the CRM roles is one.
ADMIN_ONLY = expect(302, 302, 302, 302, 302)

MATRIX: dict[str, Rule] = {
    # --- API v1: organisation -------------------------------------------------------------------
    "api:region-list": Rule({"GET": CRM_READ}),
    "api:auth-me": Rule({"GET": expect(401, 200, 200, 200, 200)}),
    # The billing client authenticates with an API key, not a token: nothing to revoke (400).
    "api:auth-token-revoke": Rule({"POST": expect(401, 200, 200, 200, 400)}),
    # --- API v1: accounts -----------------------------------------------------------------------
    "api:account-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}),
    "api:account-export": Rule({"GET": CRM_READ}),
    # Only managers move accounts between portfolios: an account manager is refused outright.
    "api:account-reassign": Rule({"POST": expect(401, 403, 400, 400, 403)}),
    "api:account-detail": Rule({"GET": CRM_READ, "PATCH": CRM_WRITE}, sample="account"),
    "api:account-history": Rule({"GET": CRM_READ}, sample="account"),
    "api:account-team": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    "api:account-team-detail": Rule(
        {"DELETE": expect(401, 204, 204, 204, 403)}, sample="team_member"
    ),
    "api:keyperson-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    # PATCH of a key person is partial: an empty body is a valid no-op edit.
    "api:keyperson-detail": Rule(
        {"GET": CRM_READ, "PATCH": expect(401, 200, 200, 200, 403)}, sample="key_person"
    ),
    "api:member-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    "api:member-detail": Rule({"GET": CRM_READ}, sample="member"),
    "api:activity-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    "api:activity-detail": Rule({"GET": CRM_READ}, sample="activity"),
    "api:servicerequest-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    "api:servicerequest-detail": Rule(
        {"GET": CRM_READ, "PATCH": expect(401, 200, 200, 200, 403)}, sample="service_request"
    ),
    # Master data: the billing client (key with the `billing` scope) and hq; nobody else.
    "api:billing-masterdata": Rule({"GET": expect(401, 403, 403, 200, 200)}),
    # --- API v1: billing ingestion (billing/api) -----------------------------------------------
    # The billing client (key with the `billing` scope) reads its own batches, hq reads all of
    # them; only the billing client posts batches (without an Idempotency-Key: 400).
    "api:billing-batch-list": Rule(
        {"GET": expect(401, 403, 403, 200, 200), "POST": expect(401, 403, 403, 403, 400)}
    ),
    "api:billing-batch-detail": Rule({"GET": expect(401, 403, 403, 200, 200)}, sample="batch"),
    "api:billing-batch-reprocess": Rule({"POST": expect(401, 403, 403, 200, 200)}, sample="batch"),
    # The verbatim payload may name any customer: hq only.
    "api:billing-batch-payload": Rule({"GET": expect(401, 403, 403, 200, 403)}, sample="batch"),
    # hq uploads CSV files (multipart only: a JSON body is an unsupported media type).
    "api:billing-csv-upload": Rule({"POST": expect(401, 403, 403, 415, 403)}),
    # Bill lines with their correction history: hq only; an account manager or regional manager
    # is refused on their own account (403) and finds no account of another portfolio (404).
    "api:billing-account-lines": Rule({"GET": expect(401, 403, 403, 200, 403)}, sample="account"),
    # --- API v1: solutions catalogue (staff propose solutions, billing reads master data) ------
    "api:solution-module-list": Rule({"GET": expect(401, 200, 200, 200, 200)}),
    "api:product-list": Rule({"GET": expect(401, 200, 200, 200, 200)}),
    # --- API v1: segmentation ---------------------------------------------------------------------
    "api:indicator-list": Rule({"GET": CRM_READ, "POST": CRM_WRITE}, sample="account"),
    "api:score-history": Rule({"GET": CRM_READ}, sample="account"),
    # Regional managers over the account's region and hq override the class (DOMAIN.md §4.3);
    # removing an override that does not exist is a no-op (204).
    "api:class-override": Rule(
        {"PUT": expect(401, 403, 400, 400, 403), "DELETE": expect(401, 403, 204, 204, 403)},
        sample="account",
    ),
    # Staff watch the runs; hq starts one (an empty body means today: 202).
    "api:segmentation-run-list": Rule({"GET": CRM_READ, "POST": expect(401, 403, 403, 202, 403)}),
    "api:segmentation-run-detail": Rule({"GET": CRM_READ}, sample="run"),
    # --- API v1: lifecycle (lifecycle/api/urls.py) ---------------------------------------------
    "api:account-lifecycle": Rule({"GET": CRM_READ}, sample="account"),
    "api:account-stage-history": Rule({"GET": CRM_READ}, sample="account"),
    "api:account-flags": Rule({"GET": CRM_READ}, sample="account"),
    "api:retention-task-list": Rule({"GET": CRM_READ}),
    "api:retention-task-detail": Rule({"GET": CRM_READ}, sample="retention_task"),
    # The owner, a regional manager over the account's region and hq act on a task.
    "api:retention-task-actions": Rule(
        {"GET": CRM_READ, "POST": CRM_WRITE}, sample="retention_task"
    ),
    "api:retention-task-close": Rule({"POST": CRM_WRITE}, sample="retention_task"),
    # --- API v1: call campaigns (lifecycle/campaigns/api_urls.py) --------------------------------
    # Managers run campaigns (an account manager's list is empty, a campaign is not theirs to
    # look up: 404); an account manager works their calls.
    "api:campaign-list": Rule({"GET": CRM_READ, "POST": expect(401, 403, 400, 400, 403)}),
    "api:campaign-detail": Rule({"GET": expect(401, 404, 200, 200, 403)}, sample="campaign"),
    # Generating an active campaign's list again adds what is missing (200).
    "api:campaign-generate": Rule({"POST": expect(401, 404, 200, 200, 403)}, sample="campaign"),
    "api:campaign-calls": Rule({"GET": expect(401, 404, 200, 200, 403)}, sample="campaign"),
    # Managers read a call; only its caller records the outcome.
    "api:campaign-call": Rule(
        {"GET": CRM_READ, "PATCH": expect(401, 400, 403, 403, 403)}, sample="campaign_call"
    ),
    "api:my-calls": Rule({"GET": CRM_READ}),
    # --- API v1: KPI (kpi/api/urls.py) ------------------------------------------------------------
    # Without parameters: the caller's own scope (an account manager's own scorecard, a regional
    # manager's region, hq's province).
    "api:kpi-scorecard": Rule({"GET": CRM_READ}),
    "api:kpi-snapshots": Rule({"GET": CRM_READ}),
    # --- API contract: for anyone signed in (it describes, it holds no customer data) --------
    "api-schema": Rule({"GET": expect(401, 200, 200, 200, 200)}),
    "api-docs": Rule({"GET": expect(401, 200, 200, 200, 200)}),
    # --- pages ------------------------------------------------------------------------------------
    "home": Rule({"GET": PAGE_READ}),
    # The login form; someone signed in is sent on to the home page.
    "login": Rule(
        {
            "GET": expect(200, 302, 302, 302, 302),
            "POST": expect(200, 302, 302, 302, 302),
            "PUT": expect(200, 302, 302, 302, 302),
        },
        redirect="/",
    ),
    "logout": Rule({"POST": expect(302, 302, 302, 302, 302)}, redirect="/"),
    "set_language": Rule(
        {"POST": expect(302, 302, 302, 302, 302)},
        bodies={"POST": {"language": "en", "next": "/"}},
        redirect="/",
    ),
    "healthz": Rule({"GET": expect(200, 200, 200, 200, 200)}),
    # --- the account manager's workspace (HTML, accounts/urls.py) -----------------------------
    # HTML forms answer a failed validation with the form again (200), not 400.
    "accounts:list": Rule({"GET": PAGE_READ}),
    "accounts:export_csv": Rule({"GET": PAGE_READ}),
    "accounts:export_xlsx": Rule({"GET": PAGE_READ}),
    # Only managers reassign; an empty selection is sent back to the list with a message.
    "accounts:reassign": Rule({"POST": expect(302, 403, 302, 302, 403)}, redirect="/accounts/"),
    "accounts:import": Rule({"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}),
    "accounts:import_template": Rule({"GET": PAGE_READ}),
    # Without a previewed file in the session the confirmation goes back to the upload page.
    "accounts:import_confirm": Rule(
        {"POST": expect(302, 302, 302, 302, 403)}, redirect="/accounts/import/"
    ),
    # A job run of someone else (or none): 404 for everyone.
    "accounts:import_job": Rule({"GET": expect(302, 404, 404, 404, 403)}),
    "accounts:detail": Rule({"GET": PAGE_READ}, sample="account"),
    "accounts:edit": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="account"
    ),
    "accounts:key_person_add": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="account"
    ),
    "accounts:key_person_edit": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="key_person"
    ),
    "accounts:key_person_left": Rule(
        {"POST": expect(302, 302, 302, 302, 403)}, sample="key_person", redirect="/accounts/"
    ),
    "accounts:activity_log": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="account"
    ),
    "accounts:sr_open": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="account"
    ),
    "accounts:sr_update": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="service_request"
    ),
    # --- segmentation pages (segmentation/urls.py) ----------------------------------------------
    "segmentation:overview": Rule({"GET": PAGE_READ}),
    "segmentation:export": Rule({"GET": PAGE_READ}),
    # hq starts a scoring run and is sent back to the overview.
    "segmentation:run_start": Rule(
        {"POST": expect(302, 403, 403, 302, 403)}, redirect="/segmentation/"
    ),
    "segmentation:run_progress": Rule({"GET": PAGE_READ}, sample="run"),
    "segmentation:import": Rule({"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}),
    "segmentation:import_template": Rule({"GET": PAGE_READ}),
    "segmentation:import_confirm": Rule(
        {"POST": expect(302, 302, 302, 302, 403)}, redirect="/segmentation/import/"
    ),
    "segmentation:indicator_add": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 200, 200, 403)}, sample="account"
    ),
    # Only regional managers and hq override a class; an incomplete form goes back to the
    # account page with a message.
    "segmentation:override": Rule(
        {"POST": expect(302, 403, 302, 302, 403)}, sample="account", redirect="/accounts/"
    ),
    "segmentation:account_panel": Rule({"GET": PAGE_READ}, sample="account"),
    # --- lifecycle pages (lifecycle/urls.py) -------------------------------------------------
    # The retention desk: every staff member's own tasks (a manager's: the region's).
    "lifecycle:desk": Rule({"GET": PAGE_READ}),
    "lifecycle:desk_export": Rule({"GET": PAGE_READ}),
    "lifecycle:task": Rule({"GET": PAGE_READ}, sample="retention_task"),
    # The owner, a regional manager over the account's region and hq act on a task: an empty
    # form is re-rendered with its errors (400).
    "lifecycle:task_action": Rule(
        {"POST": expect(302, 400, 400, 400, 403)}, sample="retention_task"
    ),
    "lifecycle:task_close": Rule(
        {"POST": expect(302, 400, 400, 400, 403)}, sample="retention_task"
    ),
    # The stage-migration matrix is for managers.
    "lifecycle:overview": Rule({"GET": expect(302, 403, 200, 200, 403)}),
    "lifecycle:matrix_export": Rule({"GET": expect(302, 403, 200, 200, 403)}),
    # Without month/cell parameters the drill-down names no cell: 400 for managers.
    "lifecycle:drill": Rule({"GET": expect(302, 403, 400, 400, 403)}),
    "lifecycle:account_panel": Rule({"GET": PAGE_READ}, sample="account"),
    # --- notifications (core/urls.py) ---------------------------------------------------------
    "notifications": Rule({"GET": PAGE_READ}),
    "notifications_badge": Rule({"GET": PAGE_READ}),
    # Staff are sent back to the notifications page (anonymous visitors to the login page, with
    # it as `next`).
    "notifications_read_all": Rule(
        {"POST": expect(302, 302, 302, 302, 403)}, redirect="/notifications/"
    ),
    # Notifications are per recipient, never shared: the sample is the account manager's, so
    # only they mark it read; for anyone else it does not exist (404).
    "notification_read": Rule(
        {"POST": expect(302, 302, 404, 404, 403)}, sample="notification", redirect="/notifications/"
    ),
    # --- call campaigns (lifecycle/campaigns/urls.py) -----------------------------------------
    # Managers run campaigns; an account manager works the calls given to them: the campaign
    # list sends them on to their calls, and a campaign is nothing they can look up (404).
    "campaigns:list": Rule({"GET": expect(302, 302, 200, 200, 403)}, redirect="/campaigns/"),
    # An empty form is re-rendered with its errors (200).
    "campaigns:create": Rule(
        {"GET": expect(302, 403, 200, 200, 403), "POST": expect(302, 403, 200, 200, 403)}
    ),
    "campaigns:my_calls": Rule({"GET": PAGE_READ}),
    # Managers read a call; only its caller records the outcome (an empty form: 200 with errors).
    "campaigns:call": Rule(
        {"GET": PAGE_READ, "POST": expect(302, 200, 403, 403, 403)}, sample="campaign_call"
    ),
    "campaigns:detail": Rule({"GET": expect(302, 404, 200, 200, 403)}, sample="campaign"),
    "campaigns:edit": Rule(
        {"GET": expect(302, 404, 200, 200, 403), "POST": expect(302, 404, 200, 200, 403)},
        sample="campaign",
    ),
    # Generating the call list, dealing the pending calls again and closing really act, then
    # return to the campaign.
    "campaigns:generate": Rule(
        {"GET": expect(302, 404, 200, 200, 403), "POST": expect(302, 404, 302, 302, 403)},
        sample="campaign",
        redirect="/campaigns/",
    ),
    # The generate page's preview part, polled while a task counts.
    "campaigns:generate_preview": Rule({"GET": expect(302, 404, 200, 200, 403)}, sample="campaign"),
    "campaigns:resplit": Rule(
        {"POST": expect(302, 404, 302, 302, 403)}, sample="campaign", redirect="/campaigns/"
    ),
    "campaigns:close": Rule(
        {"POST": expect(302, 404, 302, 302, 403)}, sample="campaign", redirect="/campaigns/"
    ),
    "campaigns:calls": Rule({"GET": expect(302, 404, 200, 200, 403)}, sample="campaign"),
    "campaigns:export_csv": Rule({"GET": expect(302, 404, 200, 200, 403)}, sample="campaign"),
    "campaigns:export_xlsx": Rule({"GET": expect(302, 404, 200, 200, 403)}, sample="campaign"),
    # --- KPI pages (kpi/urls.py) ----------------------------------------------------------------
    # Dashboards: managers see their region (hq the province); an account manager's /kpi/ and
    # /kpi/me/ are their own scorecard. Without KPI data the pages still render.
    "kpi:dashboard": Rule({"GET": PAGE_READ}),
    "kpi:me": Rule({"GET": PAGE_READ}),
    # The dashboard workbook is for managers: an account manager has no region dashboard (404).
    "kpi:export": Rule({"GET": expect(302, 404, 200, 200, 403)}),
    "kpi:manager": Rule({"GET": PAGE_READ}, sample="kpi_manager"),
    "kpi:manager_export": Rule({"GET": PAGE_READ}, sample="kpi_manager"),
    # Without ?metric=… the drill-down names no number: 404 for every staff role.
    "kpi:drill": Rule({"GET": expect(302, 404, 404, 404, 403)}),
    "kpi:drill_export": Rule({"GET": expect(302, 404, 404, 404, 403)}),
    # Schemes and targets are hq's. An empty form is re-rendered with its errors (200).
    "kpi:schemes": Rule(
        {"GET": expect(302, 403, 403, 200, 403), "POST": expect(302, 403, 403, 200, 403)}
    ),
    "kpi:scheme": Rule(
        {"GET": expect(302, 403, 403, 200, 403), "POST": expect(302, 403, 403, 200, 403)},
        sample="kpi_scheme",
    ),
    # An empty grid saves nothing and returns to the grid.
    "kpi:targets": Rule(
        {"GET": expect(302, 403, 403, 200, 403), "POST": expect(302, 403, 403, 302, 403)},
        sample="kpi_scheme",
        redirect="/kpi/schemes/2026/targets/",
    ),
    "kpi:targets_import": Rule(
        {"GET": expect(302, 403, 403, 200, 403), "POST": expect(302, 403, 403, 200, 403)},
        sample="kpi_scheme",
    ),
    # Without a previewed file in the session: back to the upload page.
    "kpi:targets_import_confirm": Rule(
        {"POST": expect(302, 403, 403, 302, 403)},
        sample="kpi_scheme",
        redirect="/kpi/schemes/2026/targets/import/",
    ),
    "kpi:targets_template": Rule({"GET": expect(302, 403, 403, 200, 403)}, sample="kpi_scheme"),
    # --- Django admin ---------------------------------------------------------------------------
    "admin:*": Rule({"GET": ADMIN_ONLY}, sample="generic"),
    "admin:login": Rule({"GET": expect(200, 200, 200, 200, 200)}),
    # Someone who is not an administrator is sent back to the admin index (and from there to
    # its login page).
    "admin:logout": Rule({"GET": ADMIN_ONLY}, redirect="/admin/"),
}
