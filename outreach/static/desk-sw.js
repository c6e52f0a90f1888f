// The desk's service worker (issue 7): keeps the desk page and everything it loads, so a door
// phone opens the desk with no network once it has opened it before. Served at /desk-sw.js and
// registered by desk-offline.js for /door/ or /staff/conferences/ only.
//  - desk pages and /static/ files: network first, the cached copy when the network fails;
//  - the API is never cached: desk-offline.js decides offline against its IndexedDB roster;
//  - the page sends {type: "cache", urls} once loaded, so the files fetched before this worker
//    took control are cached too.
"use strict";

var CACHE = "outreach-desk-v1";

function isDeskPage(url) {
  return /^\/door\/[^/]+$/.test(url.pathname) || /^\/staff\/conferences\/\d+\/desk$/.test(url.pathname);
}

function cacheable(request, url) {
  if (request.method !== "GET" || url.origin !== self.location.origin) return false;
  return (request.mode === "navigate" && isDeskPage(url)) || url.pathname.indexOf("/static/") === 0;
}

function keep(cache, key, response) {
  // a desk page that redirected (to /login) is not the desk
  if (response.ok && !response.redirected) return cache.put(key, response);
  return null;
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) return;
  var urls = data.urls.filter(function (href) {
    var url = new URL(href, self.location.href);
    return url.origin === self.location.origin && (isDeskPage(url) || url.pathname.indexOf("/static/") === 0);
  });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (href) {
      return fetch(href, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        return keep(cache, href, response);
      }, function () { return null; });
    }));
  }).then(function () {
    if (event.source) event.source.postMessage({ type: "cached", count: urls.length });
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (!cacheable(request, url)) return;
  var key = url.href.split("#")[0];
  event.respondWith(fetch(request).then(function (response) {
    var copy = response.clone();
    event.waitUntil(caches.open(CACHE).then(function (cache) { return keep(cache, key, copy); }));
    return response;
  }, function () {
    return caches.match(key).then(function (cached) { return cached || Response.error(); });
  }));
});
