"""Package names one slip away from a popular package's: `reqeusts`, `crossenv`, `pandsa`.

Typosquatting publishes a package under a name a hurried person (or a model) types for a popular
one. A name is a look-alike when it is not itself a known package and one deletion from it equals
one deletion from a popular name (an insertion, a deletion, a substitution or two swapped
letters), or when it equals one with its separators dropped (`crossenv` for `cross-env`). Short
names (under five letters) are left out: too many real packages lie one letter apart.

The lists are knowledge as data: the most installed packages of PyPI and npm, and the real
packages that sit one letter from them (`scapy` beside `scipy`, `preact` beside `react`).
"""

from __future__ import annotations

import re

MIN_LENGTH = 5

_PYPI = """
boto3 botocore urllib3 requests setuptools certifi charset-normalizer idna typing-extensions
python-dateutil s3transfer packaging aiobotocore six numpy pyyaml s3fs fsspec pip cryptography
pydantic pydantic-core cffi attrs google-api-core pycparser pandas importlib-metadata jmespath
protobuf wheel click zipp platformdirs pyasn1 pyasn1-modules jinja2 markupsafe awscli colorama
filelock virtualenv pytz tomli wrapt pluggy pytest googleapis-common-protos pyjwt sqlalchemy
jsonschema cachetools pyarrow iniconfig docutils aiohttp requests-oauthlib psutil multidict yarl
frozenlist aiosignal greenlet tzdata soupsieve beautifulsoup4 exceptiongroup decorator pygments
pyparsing scipy scapy openpyxl lxml tqdm grpcio grpcio-status isodate pyopenssl oauthlib werkzeug
flask httpx httpcore anyio sniffio distlib tomlkit more-itertools pillow matplotlib scikit-learn
joblib threadpoolctl networkx sympy mpmath torch torchvision torchaudio tensorflow keras
transformers tokenizers huggingface-hub safetensors regex nltk spacy fastapi starlette uvicorn
gunicorn django djangorestframework celery redis kombu billiard pymongo psycopg psycopg2
psycopg2-binary mysqlclient pymysql sqlparse alembic marshmallow pyzmq tornado jupyter notebook
ipython ipykernel traitlets black flake8 pycodestyle pyflakes mypy mypy-extensions isort pylint
astroid coverage pytest-cov pytest-mock pytest-xdist pytest-asyncio pre-commit twine poetry
poetry-core hatchling build rich typer tabulate termcolor openai anthropic langchain
langchain-core tiktoken google-cloud-storage google-auth azure-core azure-storage-blob
azure-identity msal paramiko fabric invoke docker kubernetes ansible ansible-core selenium
playwright scrapy xmltodict simplejson ujson orjson msgpack python-dotenv dnspython
email-validator faker hypothesis factory-boy freezegun responses loguru structlog sentry-sdk
datadog prometheus-client opentelemetry-api opentelemetry-sdk moto pexpect ptyprocess chardet
html5lib bleach markdown mistune nbformat nbconvert seaborn plotly bokeh statsmodels xgboost
lightgbm catboost opencv-python opencv-python-headless imageio scikit-image h5py tables numba
llvmlite dask distributed polars duckdb sqlmodel peewee arrow pendulum humanize pyperclip
pyautogui pywin32 wxpython pyqt5 pyqt6 pyside6 pygame discord-py python-telegram-bot tweepy
slack-sdk twilio stripe shapely geopandas pyproj xarray gymnasium jaxlib onnx onnxruntime
sentencepiece accelerate datasets evaluate diffusers gradio streamlit jupyterlab pycryptodome
pycryptodomex bcrypt passlib itsdangerous pyotp qrcode python-multipart aiofiles websockets
websocket-client pysocks pyserial setuptools-scm cython pybind11 pipenv pyinstaller uvloop
httptools watchfiles python-jose ecdsa pynacl blinker flask-cors flask-login flask-sqlalchemy
wtforms gevent eventlet gitpython pyrsistent jsonpointer jsonpatch deprecated tenacity backoff
retrying pymupdf pypdf pypdf2 reportlab xlrd xlsxwriter python-docx python-pptx mccabe toolz
cytoolz dill cloudpickle pathspec identify nodeenv cfgv virtualenv-clone argcomplete shellingham
keyring jaraco-classes secretstorage jeepney pkginfo readme-renderer requests-toolbelt rfc3986
hvac boto3-stubs types-requests types-pyyaml google-cloud-bigquery snowflake-connector-python
databricks-sdk mlflow wandb tensorboard absl-py gast astunparse flatbuffers opt-einsum
termcolor pyflakes autopep8 yapf bandit safety pip-tools pipdeptree uv ruamel-yaml
"""

_NPM = """
react react-dom preact lodash express axios chalk commander debug moment uuid typescript webpack
vue vuex nuxt next svelte jquery underscore async request bluebird yargs minimist glob rimraf
mkdirp fs-extra semver dotenv cross-env cross-spawn nodemon eslint prettier jest mocha chai sinon
ts-node tslib rxjs redux react-redux mobx styled-components classnames prop-types core-js
regenerator-runtime body-parser cookie-parser cors helmet morgan jsonwebtoken bcrypt bcryptjs
mongoose mongodb mysql mysql2 sequelize knex prisma redis ioredis socket.io socket.io-client
node-fetch superagent cheerio puppeteer playwright electron electron-builder vite rollup esbuild
parcel gulp grunt webpack-cli webpack-dev-server html-webpack-plugin css-loader style-loader
sass node-sass postcss autoprefixer tailwindcss babel-loader ts-loader husky lint-staged
concurrently npm-run-all dayjs date-fns luxon inquirer chalk colors color kleur picocolors zod
yup ajv graphql express-session passport nodemailer multer sharp aws-sdk firebase stripe
twilio openai discord.js telegraf winston pino bunyan log4js config nconf js-yaml yaml xml2js
papaparse marked markdown-it highlight.js handlebars mustache nunjucks immer ramda validator
chokidar http-proxy http-server serve forever shelljs execa cross-fetch isomorphic-fetch
whatwg-fetch jsdom enzyme vitest cypress karma jasmine nyc istanbul typeorm vue-router
react-router react-router-dom next-auth chart.js leaflet three eslint-config-prettier
eslint-plugin-import eslint-plugin-react eslint-config-airbnb stylelint node-gyp bindings
prebuild-install readable-stream through2 inherits safe-buffer string_decoder util-deprecate
minimatch brace-expansion balanced-match concat-map graceful-fs signal-exit strip-ansi
ansi-regex ansi-styles supports-color has-flag color-convert color-name escape-string-regexp
lru-cache yallist source-map source-map-support buffer events process path-browserify
querystring punycode string-width wrap-ansi cliui y18n get-caller-file require-directory
left-pad event-stream flatmap-stream ua-parser-js coa rc node-ipc colors.js faker
"""

_SEPARATORS = re.compile(r"[-_.]+")
_DIGITS = "0123456789"


def _deletions(name: str) -> set[str]:
    return {name[:i] + name[i + 1 :] for i in range(len(name))}


class _Registry:
    """One ecosystem's popular names, indexed by their one-deletion variants."""

    def __init__(self, names: str) -> None:
        self.known = frozenset(_canonical(n) for n in names.split())
        self._near: dict[str, str] = {}
        for name in sorted(self.known):
            if len(name) < MIN_LENGTH:
                continue
            for variant in (name, *_deletions(name), _SEPARATORS.sub("", name)):
                self._near.setdefault(variant, name)

    def imitated(self, name: str) -> str | None:
        """The popular name `name` imitates, or None."""
        name = _canonical(name)
        if len(name) < MIN_LENGTH or name in self.known or len(name) > 64:
            return None
        bare = _SEPARATORS.sub("", name)
        for variant in (name, *_deletions(name), bare):
            hit = self._near.get(variant)
            if hit is None or hit == name or hit.rstrip(_DIGITS) == name.rstrip(_DIGITS):
                continue  # `markdown2` beside `markdown`: a version line, not a slip
            if bare == _SEPARATORS.sub("", hit) or _one_edit(name, hit):
                return hit
        return None


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one insertion, deletion, substitution or swap of two
    neighbouring letters (sharing a deletion also admits two edits: checked here)."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


def _canonical(name: str) -> str:
    """PEP 503's normal form (lower case, separator runs as one hyphen), used for npm too."""
    return _SEPARATORS.sub("-", name.strip().lower())


_LISTS = {"pypi": _PYPI, "npm": _NPM}
_REGISTRIES: dict[str, _Registry] = {}  # built on first use: most checks install nothing
# Package managers → the registry their bare names come from.
ECOSYSTEMS = {
    **dict.fromkeys(["pip", "pip3", "uv", "poetry", "pipx", "pdm", "pipenv", "hatch"], "pypi"),
    **dict.fromkeys(["npm", "pnpm", "yarn", "bun", "npx", "bunx", "cnpm"], "npm"),
}
# `name==1.0`, `name[extra]>=2`, `name@^4`: the name alone.
_VERSIONED = re.compile(r"^(@?[A-Za-z0-9][A-Za-z0-9._-]*)")


def imitated_package(manager: str, spec: str) -> str | None:
    """The popular package a name installed by `manager` imitates (`reqeusts` → requests)."""
    ecosystem = ECOSYSTEMS.get(manager)
    if ecosystem is None or spec.startswith(("@", "-", ".", "/", "~")) or "://" in spec:
        return None  # scoped npm names, options, paths and URLs are not bare registry names
    registry = _REGISTRIES.get(ecosystem)
    if registry is None:
        registry = _REGISTRIES[ecosystem] = _Registry(_LISTS[ecosystem])
    m = _VERSIONED.match(spec)
    return registry.imitated(m.group(1)) if m else None
