# The function's image: the FastAPI app behind Mangum, on AWS Lambda's own Python 3.12 runtime.
# `npx serverless@3 deploy` builds it (serverless.yml, provider.ecr.images). No Docker engine runs
# where the project is developed, so bench/cold_start.py replays every instruction below into a
# folder and times a cold start from it; keep to FROM, ENV, WORKDIR, COPY, RUN and CMD so it can.
FROM public.ecr.aws/lambda/python:3.12

# The runtime pipeline imports neither librosa nor numba (docs/DEPLOY.md, "Cold start"). Should a
# future dependency pull numba in, its cache must go to Lambda's only writable place.
# Lambda has no /dev/shm, so joblib (imported by scikit-learn) would warn at every cold start that
# it can't make semaphores; nothing here uses its process pools, so switch them off up front.
ENV NUMBA_CACHE_DIR=/tmp/numba \
    JOBLIB_MULTIPROCESSING=0

# Build in a scratch folder; the base image's WORKDIR (the task root) is restored at the end.
WORKDIR /build

# The pinned runtime dependencies first, on their own layer: it is rebuilt only when
# requirements.txt changes, not at every code edit. This is the same list the local install uses
# (pyproject.toml reads it); dev tools (requirements-dev.txt: librosa, pytest, ...) stay out.
COPY requirements.txt ./
RUN pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" -r requirements.txt

# The package itself (lib/musicremixer and functions/), without deps: they are all above, pinned.
COPY pyproject.toml README.md ./
COPY lib ./lib
COPY functions ./functions
RUN pip install --no-cache-dir --no-deps --target "${LAMBDA_TASK_ROOT}" .

# Keep .pyc files: /var/task is read-only at run time, so a module without a valid .pyc is compiled
# again at every cold start. Compile at the final path (tracebacks name it), and as unchecked-hash
# .pyc that don't depend on file times, which image builders and layer conversion may not keep.
RUN python -m compileall -q -f -j 0 --invalidation-mode unchecked-hash "${LAMBDA_TASK_ROOT}"

WORKDIR ${LAMBDA_TASK_ROOT}

# module.attribute of the handler: a Mangum instance wrapping the FastAPI app.
CMD ["functions.handler.handler"]
