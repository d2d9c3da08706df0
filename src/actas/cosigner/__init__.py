"""A cosigner anyone can run: it follows boards (logs), checks that each checkpoint a board shows it
extends every one it cosigned before, and cosigns it (C2SP tlog-witness and tlog-cosignature; C2SP
calls a cosigner a *witness*). `service` decides, `app` answers HTTP; what it remembers is in
`store.cosigner_store`."""
