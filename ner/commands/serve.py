"""``ner serve [--model DIR]``: run the Label Studio ML backend (see ``ner/backend/``)."""

from __future__ import annotations

import sys

from ..settings import serve_token


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
                   help="where retrained models go, one folder per project (default: $NER_CACHE_DIR/serve, else "
                        "~/.cache/ner/serve; never the repository's models/)")
    p.add_argument("--train", metavar="FILE", default=None,
                   help="base training corpus that retraining adds a project's annotations to "
                        "(default: train in the model's train_config.toml)")
    p.add_argument("--dev", metavar="FILE", default=None,
                   help="held-out dev set both models are scored on before a switch (default: dev in the "
                        "model's train_config.toml, else the share of the base corpus it held out)")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="pre-annotate only spans scored S or more (default: the threshold with the best span F1 "
                        "on the dev set, printed at start; recomputed for each retrained model)")
    p.add_argument("--url", default=None, help="Label Studio URL for retraining (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=None, help="Label Studio API key for retraining "
                                                   "(default: $LABEL_STUDIO_API_KEY, else the token sent to /setup)")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=run)


def run(args) -> int:
    import logging

    from ..errors import UserError
    from ..backend.retrain import Retrainer
    from ..train.calibrate import calibrate
    from ..backend.app import Auth, Backend, create_app
    from ..tagger.core import Tagger, default_model_path

    try:
        import uvicorn
    except ImportError:
        raise UserError("the server needs uvicorn and starlette: pip install 'ner[serve]'") from None
    if args.retrain_every < 0:
        raise UserError("--retrain-every must be 0 or more")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port} must be between 0 and 65535")
    if args.min_score is not None and not 0 <= args.min_score <= 1:
        raise UserError(f"--min-score {args.min_score} must be between 0 and 1")
    model = args.model or str(default_model_path())
    tagger = Tagger.load(model)
    token = args.auth_token or (None if args.basic_auth else serve_token())
    auth = Auth.parse_basic(args.basic_auth) if args.basic_auth else Auth(token=token)
    connection = None
    if args.url or args.api_key:
        from ..labelstudio.client import connection_from

        connection = connection_from(args.url, args.api_key)
    retrainer = Retrainer(model, work_dir=args.work_dir, train=args.train, dev=args.dev, connection=connection)
    min_score, where = args.min_score, "--min-score"
    if min_score is None:
        found = calibrate(model, tagger.model, train=args.train, dev=args.dev)
        min_score, where = found.min_score, found.describe("pass --train/--dev FILE or --min-score S")
    backend = Backend(tagger, trainer=retrainer if args.retrain_every else None,
                      retrain_every=max(args.retrain_every, 1), min_score=min_score,
                      recalibrate=args.min_score is None,
                      work_dir=retrainer.work_dir if args.retrain_every else None)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    training = f"retraining into {retrainer.work_dir}" if args.retrain_every else "retraining off"
    print(f"ner serve: {tagger.version} at http://{args.host}:{args.port} "
          f"(auth: {'basic' if auth.user else 'bearer token' if auth.token else 'none'}; {training}; "
          f"min score {min_score} {where})", file=sys.stderr)
    for line in backend.restore():
        print(f"ner serve: {line}", file=sys.stderr)
    uvicorn.run(create_app(backend, auth), host=args.host, port=args.port, log_level=args.log_level)
    return 0
