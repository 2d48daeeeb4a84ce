#!/bin/bash
# Serve a page on port 80.
apt-get update && apt-get install -y nginx
echo "hello from $(hostname)" > /var/www/html/index.html
