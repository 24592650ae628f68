"""Page objects for the browser journeys: one class per app the customer sees."""

from tests.journeys.pages.acme import AcmeBank
from tests.journeys.pages.kit import KitPage
from tests.journeys.pages.wise import WiseAuthorize

__all__ = ["AcmeBank", "KitPage", "WiseAuthorize"]
