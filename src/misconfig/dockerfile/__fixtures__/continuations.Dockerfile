# syntax=docker/dockerfile:1

ARG BASE_TAG=12.5
FROM debian:${BASE_TAG}

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
    # a comment inside the continuation
      curl=7.88.1-10 \

      git \
    && echo done
ENV API_TOKEN=s3cr3tvalue \
    OTHER=1
# copy the app
COPY app /app

RUN <<-EOT
	set -e
	echo "$HOME"
	apt-get install -y vim
	EOT
RUN <<'A' <<B
one
A
two
B
USER app
CMD ["/app/run"]
