from django.urls import path

from . import api

urlpatterns = [
    path("campaigns/", api.CampaignListApi.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", api.CampaignDetailApi.as_view(), name="campaign-detail"),
    path(
        "campaigns/<int:pk>/generate/",
        api.CampaignGenerateApi.as_view(),
        name="campaign-generate",
    ),
    path("campaigns/<int:pk>/calls/", api.CampaignCallListApi.as_view(), name="campaign-calls"),
    path("campaign-calls/<int:pk>/", api.CampaignCallApi.as_view(), name="campaign-call"),
    path("my-calls/", api.MyCallListApi.as_view(), name="my-calls"),
]
