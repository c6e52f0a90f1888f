"""Every route carries an access guard; staff areas are never public."""


def _view_functions(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_its_access(app):
    missing = [rule.rule for rule, view in _view_functions(app) if not hasattr(view, "access")]
    assert missing == []


def test_staff_routes_have_a_staff_guard(app):
    exposed = [
        rule.rule
        for rule, view in _view_functions(app)
        if rule.rule.startswith(("/staff", "/admin")) and view.access != "staff"
    ]
    assert exposed == []


def test_anonymous_users_are_sent_to_login_from_every_staff_page(app, client):
    for rule, view in _view_functions(app):
        if view.access != "staff" or "GET" not in rule.methods:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path
