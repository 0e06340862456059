# The emulator on a bare Python: the server needs nothing beyond the standard library.
#   docker build -t eclypse-emulator .
#   docker run --rm --ulimit nofile=20000 -p 8080:8080 eclypse-emulator --host 0.0.0.0
FROM python:3.12-slim
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir . && rm -rf /src
WORKDIR /fleet
EXPOSE 8080
ENTRYPOINT ["eclypse-emulator"]
