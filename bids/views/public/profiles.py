"""Public pages: profiles."""

urlpatterns = []
