"""Review pages: money."""

urlpatterns = []
