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
jellyfish
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
pytorch-lightning lightning torchmetrics timm einops jax flax optax keras-nlp sentence-transformers
langchain-openai langchain-community llama-index chromadb pinecone-client faiss-cpu qdrant-client
bpython ptpython pdbpp iredis
"""

_NPM = """
react-scripts
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
jsdoc jsdom esdoc
"""

_CRATES = """
syn proc-macro2 quote libc rand rand_core rand_chacha serde serde_json serde_derive serde_yaml
cfg-if itoa memchr bitflags log regex regex-syntax aho-corasick lazy_static once_cell hashbrown
autocfg getrandom smallvec base64 ryu indexmap parking_lot parking_lot_core either scopeguard
thiserror anyhow tokio tokio-util tokio-stream futures futures-util futures-core bytes clap
strsim heck time chrono num-traits unicode-ident unicode-width unicode-segmentation tracing
tracing-core tracing-subscriber hyper http mio socket2 url percent-encoding idna toml tempfile
rustix windows-sys crossbeam crossbeam-utils crossbeam-channel rayon rayon-core num_cpus semver
uuid reqwest rustls ring sha2 sha1 md-5 digest hmac aes rsa generic-array typenum hex flate2
miniz_oxide crc32fast byteorder env_logger humantime termcolor nom memoffset rustc_version
pin-project pin-project-lite slab tower axum actix-web warp rocket async-trait dashmap arrayvec
criterion proptest rust_decimal sqlx diesel openssl native-tls prost tonic walkdir glob ignore
colored indicatif dirs directories ctrlc crossterm ratatui image nalgebra ndarray petgraph
structopt bincode csv zip tar jsonwebtoken argon2 bcrypt redis mongodb rusqlite tokio-postgres
wasm-bindgen js-sys web-sys libloading bindgen pkg-config cmake simplelog color-eyre eyre
miette insta assert_cmd predicates mockall rstest serial_test lru moka textwrap owo-colors
console dialoguer rustyline notify nix signal-hook async-std smol cbindgen serde_yml
"""

# Go modules: a path's host, owner and repository (or host and name for vanity paths).
_GO = """
github.com/stretchr/testify github.com/spf13/cobra github.com/spf13/viper github.com/spf13/pflag
github.com/sirupsen/logrus github.com/gin-gonic/gin github.com/gorilla/mux
github.com/gorilla/websocket github.com/gorilla/sessions github.com/google/uuid
github.com/pkg/errors github.com/boltdb/bolt go.etcd.io/bbolt github.com/go-redis/redis
github.com/redis/go-redis github.com/lib/pq github.com/jackc/pgx github.com/go-sql-driver/mysql
github.com/mattn/go-sqlite3 github.com/golang/protobuf google.golang.org/grpc
google.golang.org/protobuf github.com/prometheus/client_golang go.uber.org/zap
go.uber.org/multierr github.com/rs/zerolog github.com/labstack/echo github.com/gofiber/fiber
github.com/go-chi/chi github.com/urfave/cli github.com/aws/aws-sdk-go github.com/golang-jwt/jwt
github.com/dgrijalva/jwt-go github.com/joho/godotenv github.com/kelseyhightower/envconfig
github.com/hashicorp/consul github.com/hashicorp/vault github.com/hashicorp/go-multierror
github.com/hashicorp/hcl github.com/hashicorp/golang-lru github.com/fatih/color
github.com/davecgh/go-spew github.com/burntsushi/toml github.com/mitchellh/mapstructure
github.com/go-playground/validator github.com/json-iterator/go github.com/valyala/fasthttp
gorm.io/gorm github.com/jinzhu/gorm github.com/onsi/ginkgo github.com/onsi/gomega
github.com/golang/mock go.uber.org/mock github.com/google/go-cmp github.com/cenkalti/backoff
github.com/nats-io/nats.go github.com/segmentio/kafka-go github.com/shopify/sarama
github.com/ibm/sarama github.com/docker/docker k8s.io/client-go k8s.io/apimachinery
github.com/patrickmn/go-cache github.com/robfig/cron github.com/shopspring/decimal
github.com/google/go-github github.com/olekukonko/tablewriter github.com/charmbracelet/bubbletea
github.com/charmbracelet/lipgloss github.com/mattn/go-isatty github.com/klauspost/compress
github.com/golang/snappy github.com/go-kit/kit github.com/julienschmidt/httprouter
github.com/rs/cors github.com/swaggo/swag github.com/99designs/gqlgen github.com/tidwall/gjson
github.com/mailru/easyjson github.com/gorilla/handlers github.com/go-resty/resty
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


_LISTS = {"pypi": _PYPI, "npm": _NPM, "crates": _CRATES}
_REGISTRIES: dict[str, _Registry] = {}  # built on first use: most checks install nothing
# Package managers → the registry their bare names come from.
ECOSYSTEMS = {
    **dict.fromkeys(["pip", "pip3", "uv", "poetry", "pipx", "pdm", "pipenv", "hatch"], "pypi"),
    **dict.fromkeys(["npm", "pnpm", "yarn", "bun", "npx", "pnpx", "bunx", "cnpm"], "npm"),
    "uvx": "pypi",
    "cargo": "crates",
}
# A capital I among lower-case letters: in most fonts the l it stands in for.
_CAPITAL_I = re.compile(r"[a-z]I|I[a-z]")
# `name==1.0`, `name[extra]>=2`, `name@^4`: the name alone.
_VERSIONED = re.compile(r"^(@?[A-Za-z0-9][A-Za-z0-9._-]*)")


def imitated_package(manager: str, spec: str) -> str | None:
    """The popular package a name installed by `manager` imitates (`reqeusts` → requests)."""
    if manager == "go":
        return imitated_module(spec)
    ecosystem = ECOSYSTEMS.get(manager)
    if ecosystem is None or spec.startswith(("@", "-", ".", "/", "~")) or "://" in spec:
        return None  # scoped npm names, options, paths and URLs are not bare registry names
    registry = _REGISTRIES.get(ecosystem)
    if registry is None:
        registry = _REGISTRIES[ecosystem] = _Registry(_LISTS[ecosystem])
    m = _VERSIONED.match(spec)
    if m is None:
        return None
    name = m.group(1)
    if _CAPITAL_I.search(name) and _canonical(name) not in registry.known:
        # `jeIlyfish`: a capital I where an l belongs reads as the popular name
        as_l = name.replace("I", "l")
        if _canonical(as_l) in registry.known:
            return _canonical(as_l)
    return registry.imitated(name)


def _module_parts(path: str) -> tuple[str, ...]:
    """`github.com/o/r/sub@v1` → ("github.com", "o", "r"); `go.uber.org/zap` → (host, name)."""
    parts = tuple(path.split("@", 1)[0].lower().strip("/").split("/"))
    return parts[:3] if parts[0] in _FORGES else parts[:2]


_FORGES = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"})
_MODULES: set[tuple[str, ...]] = set()


def _alike(a: str, b: str, added: bool = False) -> bool:
    """One slip apart, or the same but for separators; with `added`, also `b` inside `a`."""
    return a != b and (
        _one_edit(a, b) or _SEPARATORS.sub("", a) == _SEPARATORS.sub("", b) or (added and b in a)
    )


def imitated_module(path: str) -> str | None:
    """The popular Go module a module path imitates: the same repository under an owner that
    spells the real one with a slip or an addition (`boltdb-go/bolt` for `boltdb/bolt`)."""
    if not _MODULES:
        _MODULES.update(_module_parts(m) for m in _GO.split())
    parts = _module_parts(path)
    if len(parts) < 2 or parts in _MODULES:
        return None
    for known in _MODULES:
        if len(known) != len(parts) or known[0] != parts[0] or len(known) != 3:
            continue
        (_, owner, repo), (_, k_owner, k_repo) = parts, known
        # the same repository under an owner spelled like the real one (a sibling repository
        # of the same owner, `tidwall/sjson` beside `tidwall/gjson`, is the same publisher)
        if repo == k_repo and _alike(owner, k_owner, added=True):
            return "/".join(known)
    return None
