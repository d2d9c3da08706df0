"""The pages people open: live results, a mesa's acta, the observer's views, the witness app and the
voting kiosk. They are thin: each shows what the HTTP API answers, so what a page says can be checked by
any client of the API."""
