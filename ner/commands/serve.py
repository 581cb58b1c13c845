"""``ner serve [--model DIR]``: run the Label Studio ML backend (see ``ner/serve.py``)."""

from __future__ import annotations

import os
import sys


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the Label Studio ML backend (pre-annotations, retraining)",
                       description="Serve the model to Label Studio: add http://HOST:PORT in the project's "
                                   "Settings -> Model. Label Studio 1.2x refuses backends on local addresses "
                                   "unless it runs with ML_BLOCK_LOCAL_IP=false.")
    p.add_argument("--model", metavar="DIR", default=None,
                   help="model directory (default: $NER_MODEL, else models/default)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=9090, help="port (default: 9090)")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--auth-token", metavar="T", default=None,
                      help="require 'Authorization: Bearer T' (default: $NER_SERVE_TOKEN)")
    auth.add_argument("--basic-auth", metavar="USER:PASS", default=None,
                      help="require HTTP basic auth, as Label Studio sends it (Authentication in the model settings)")
    p.add_argument("--retrain-every", type=int, default=10, metavar="N",
                   help="retrain after N annotation events (Start Training in Label Studio always retrains); "
                        "0 turns retraining off")
    p.add_argument("--work-dir", metavar="DIR", default=None,
                   help="where retrained models go (default: beside --model)")
    p.add_argument("--url", default=None, help="Label Studio URL for retraining (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=None, help="Label Studio API key for retraining "
                                                   "(default: $LABEL_STUDIO_API_KEY, else the token sent to /setup)")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=run)


def run(args) -> int:
    import logging

    from ..errors import UserError
    from ..serve import Auth, Backend, create_app
    from ..tagger import Tagger, default_model_path

    try:
        import uvicorn
    except ImportError:
        raise UserError("the server needs uvicorn and starlette: pip install 'ner[serve]'") from None
    if args.retrain_every < 0:
        raise UserError("--retrain-every must be 0 or more")
    model = args.model or str(default_model_path())
    tagger = Tagger.load(model)
    token = args.auth_token or (None if args.basic_auth else os.environ.get("NER_SERVE_TOKEN"))
    auth = Auth.parse_basic(args.basic_auth) if args.basic_auth else Auth(token=token)
    trainer = None
    if args.retrain_every:
        from ..labelstudio.client import connection_from
        from ..retrain import Retrainer

        connection = None
        if args.url or args.api_key:
            connection = connection_from(args.url, args.api_key)
        trainer = Retrainer(model, work_dir=args.work_dir, connection=connection)
    backend = Backend(tagger, trainer=trainer, retrain_every=max(args.retrain_every, 1))
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"ner serve: {tagger.version} at http://{args.host}:{args.port} "
          f"(auth: {'basic' if auth.user else 'bearer token' if auth.token else 'none'})", file=sys.stderr)
    uvicorn.run(create_app(backend, auth), host=args.host, port=args.port, log_level=args.log_level)
    return 0
