"""The benchmark's floor for pretix: a bare view behind all of pretix's middleware.

pretix's MultiDomainMiddleware sets ``request.urlconf`` itself, so a wrapper ROOT_URLCONF would
never be consulted: the middleware below, placed right after it (pretix_bench_settings), switches
the URL configuration to this module for ``/bench/floor`` only. The view does what outreach's
floor does (bench/checkin.py): no database, no work, ``{"result": "ok"}`` as JSON, CSRF-exempt,
GET or POST.
"""

from django.http import JsonResponse
from django.urls import path
from django.urls import set_urlconf
from django.views.decorators.csrf import csrf_exempt

FLOOR_PATH = "/bench/floor"


@csrf_exempt
def floor(request):
    return JsonResponse({"result": "ok"})


urlpatterns = [path("bench/floor", floor, name="bench_floor")]


class FloorRouteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == FLOOR_PATH:
            request.urlconf = __name__
            set_urlconf(__name__)
        return self.get_response(request)
