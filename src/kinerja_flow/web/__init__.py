"""The web application: pages for every role, over the same services as the JSON API.

Pages are rendered on the server (Jinja2, ``templates/web``) and work without JavaScript;
htmx (vendored in ``static/web``) makes links and forms swap the page body instead of
reloading it. Sign-in keeps a server-side session in the database; every unsafe request
carries a CSRF token. Page handlers hold no business rule: they turn form fields into the
API's request structs, call the domain services and show what those answer.
"""
