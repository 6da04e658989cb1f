"""Review pages: queue."""

urlpatterns = []
