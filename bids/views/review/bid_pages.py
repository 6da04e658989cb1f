"""Review pages: bid_pages."""

urlpatterns = []
