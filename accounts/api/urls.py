from django.urls import path

from . import masterdata, team, views

urlpatterns = [
    path("accounts/", views.AccountListCreateApi.as_view(), name="account-list"),
    path("accounts/export/", views.AccountExportApi.as_view(), name="account-export"),
    path("accounts/reassign/", views.AccountReassignApi.as_view(), name="account-reassign"),
    path("accounts/<str:code>/", views.AccountDetailApi.as_view(), name="account-detail"),
    path("accounts/<str:code>/history/", views.AccountHistoryApi.as_view(), name="account-history"),
    path("accounts/<str:code>/team/", team.TeamListApi.as_view(), name="account-team"),
    path(
        "accounts/<str:code>/team/<str:username>/",
        team.TeamMemberApi.as_view(),
        name="account-team-detail",
    ),
    path(
        "accounts/<str:code>/key-persons/",
        views.KeyPersonListApi.as_view(),
        name="keyperson-list",
    ),
    path(
        "accounts/<str:code>/key-persons/<int:pk>/",
        views.KeyPersonDetailApi.as_view(),
        name="keyperson-detail",
    ),
    path("accounts/<str:code>/members/", views.MemberListApi.as_view(), name="member-list"),
    path(
        "accounts/<str:code>/members/<int:pk>/",
        views.MemberDetailApi.as_view(),
        name="member-detail",
    ),
    path("accounts/<str:code>/activities/", views.ActivityListApi.as_view(), name="activity-list"),
    path(
        "accounts/<str:code>/activities/<int:pk>/",
        views.ActivityDetailApi.as_view(),
        name="activity-detail",
    ),
    path(
        "accounts/<str:code>/service-requests/",
        views.ServiceRequestListApi.as_view(),
        name="servicerequest-list",
    ),
    path(
        "accounts/<str:code>/service-requests/<int:pk>/",
        views.ServiceRequestDetailApi.as_view(),
        name="servicerequest-detail",
    ),
    path("billing/accounts/", masterdata.BillingMasterDataApi.as_view(), name="billing-masterdata"),
]
