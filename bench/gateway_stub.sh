# Sourced by the gateway benches (gateway_overhead.sh, gateway_callgrind.sh):
# the upstream they measure against, nginx answering a fixed Anthropic
# message (any path) and a streamed chat completion (/v1/chat/completions),
# and, when a second port is given, nginx proxy_pass to it with keep-alive
# upstream connections (the alternative the gateway is compared with).
#   start_stub_nginx DIR UP_PORT [PROXY_PORT]    # pid in DIR/nginx.pid
#   stop_stub_nginx DIR
# and nginx proxy_pass to the upstream as a process of its own (its own
# master and worker), as a proxy in front of a remote provider runs:
#   start_proxy_nginx DIR UP_PORT PROXY_PORT     # pid in DIR/proxy/nginx.pid
#   stop_proxy_nginx DIR

start_stub_nginx() {
  local dir=$1 up=$2 proxy=${3:-} proxy_block=""
  mkdir -p "$dir/nginx"
  if [[ -n $proxy ]]; then
    proxy_block="upstream stub { server 127.0.0.1:$up; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy;
    location / { proxy_pass http://stub; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
  fi
  cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx; fastcgi_temp_path $dir/nginx;
  uwsgi_temp_path $dir/nginx; scgi_temp_path $dir/nginx;
  server {
    listen 127.0.0.1:$up;
    # A streamed chat answer (content, then the usage chunk), for the time
    # to the first streamed byte.
    location = /v1/chat/completions {
      default_type text/event-stream;
      return 200 'data: {"id":"chatcmpl-\$request_id","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}\n\ndata: {"id":"chatcmpl-\$request_id","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}\n\ndata: [DONE]\n\n';
    }
    location / {
      default_type application/json;
      add_header request-id "req_\$request_id";
      return 200 '{"id":"msg_\$request_id","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"cache_read_input_tokens":3,"cache_creation_input_tokens":0,"output_tokens":5}}';
    }
  }
  $proxy_block
}
NGINX
  nginx -c "$dir/nginx.conf" -p "$dir/nginx" -e "$dir/nginx/error.log"
}

stop_stub_nginx() {
  [[ -f $1/nginx.pid ]] && kill "$(cat "$1/nginx.pid")" 2>/dev/null || true
}

start_proxy_nginx() {
  local dir=$1/proxy up=$2 proxy=$3
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  upstream stub { server 127.0.0.1:$up; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy;
    location / { proxy_pass http://stub; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
}

stop_proxy_nginx() {
  [[ -f $1/proxy/nginx.pid ]] && kill "$(cat "$1/proxy/nginx.pid")" 2>/dev/null || true
}
