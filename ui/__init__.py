"""The Streamlit layer: what app.py and the pages use to reach the services.

    app.py, pages/   draw widgets; call ui and services; open no session, hold no rule
    ui/              boot (settings, engine), cache (reads keyed by the data version), session
                     (the actor, run_write), nav (pages, the round picker), widgets, auth
    services/        every rule; no Streamlit
    core/            what services may import: settings, db, audit, i18n, Thai dates, charts, palette
    models/          tables

Nothing in core/ or services/ imports ui/ (tests/test_layers.py checks the import graph).
"""
