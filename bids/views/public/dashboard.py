"""Public pages: dashboard."""

urlpatterns = []
