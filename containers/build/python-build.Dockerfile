# Local mode's stand-in for the official Python image's pip, built offline (--network=none):
# BASE_IMAGE is local mode's debootstrapped Debian bookworm with python3 3.11 (pinned by digest);
# the build context is the wheelhouse of every container's requirements (and pip), which becomes
# pip's only index. The containers' Dockerfiles use it as BUILD_IMAGE, so their
# `python3 -m pip install --requirement requirements.txt` runs unchanged with no network.
ARG BASE_IMAGE=localhost/sagemaker-platform/python-base:bookworm-py311
FROM ${BASE_IMAGE}
COPY . /opt/wheelhouse/
# The official image's python is not "externally managed" either; pip runs from its own wheel.
RUN set -eu; \
    for wheel in /opt/wheelhouse/pip-*.whl; do pip_wheel="$wheel"; done; \
    rm -f /usr/lib/python3*/EXTERNALLY-MANAGED; \
    python3 "$pip_wheel/pip" install --no-index --no-cache-dir --disable-pip-version-check \
        --root-user-action=ignore "$pip_wheel"; \
    printf '[global]\nno-index = true\nfind-links = /opt/wheelhouse\n' > /etc/pip.conf; \
    python3 -m pip --version
