"""URLs of the bids app, one list per audience, mounted by ``fundtracker.urls``."""

from bids.views.portal import documents, drafting, following
from bids.views.public import api, dashboard, opendata, profiles
from bids.views.review import bid_pages, money, panel, queue

portal_patterns = [*drafting.urlpatterns, *documents.urlpatterns, *following.urlpatterns]
review_patterns = [
    *queue.urlpatterns,
    *bid_pages.urlpatterns,
    *panel.urlpatterns,
    *money.urlpatterns,
]
public_patterns = [*dashboard.urlpatterns, *profiles.urlpatterns, *opendata.urlpatterns]
api_patterns = api.urlpatterns
