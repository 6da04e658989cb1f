"""Public pages: api."""

urlpatterns = []
