from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_sign_in
from bids.urls import api_patterns, portal_patterns, public_patterns, review_patterns
from fundtracker import views

admin.site.site_header = "Police funding tracker administration"
admin.site.site_title = "Police funding tracker"
admin.site.index_title = "Reference data, rounds and corrections"

handler400 = "fundtracker.views.bad_request"
handler403 = "fundtracker.views.permission_denied"
handler404 = "fundtracker.views.page_not_found"
handler500 = "fundtracker.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include((portal_patterns, "portal"))),
    path("review/", include((review_patterns, "review"))),
    path("api/v1/", include((api_patterns, "api"))),
    path("", include((public_patterns, "public"))),
    path("admin/login/", admin_sign_in, name="admin_sign_in"),
    path("admin/", admin.site.urls),
]
