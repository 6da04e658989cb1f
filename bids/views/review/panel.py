"""Review pages: panel."""

urlpatterns = []
