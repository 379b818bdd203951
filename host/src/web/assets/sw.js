// dvor's service worker: the last pages a person opened stay readable without a connection.
// Pages go to the network first and fall back to their last copy; the stylesheet, script and
// icons are served from the cache. Nothing but GET requests to this site's pages is touched:
// the API, stored files and every form post always go to the server.
const CACHE = "dvor-v1";
const ASSETS = ["/assets/dvor.css", "/assets/dvor.js", "/assets/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function offlinePage() {
  const html =
    '<!doctype html><html lang="ru"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<link rel="stylesheet" href="/assets/dvor.css"><title>Нет связи · Offline</title>' +
    '<main class="wrap" id="main"><h1>Нет связи</h1>' +
    "<p>Эта страница ещё не открывалась на этом устройстве. Проверьте интернет и попробуйте снова.</p>" +
    '<p lang="en">You are offline, and this page has not been opened on this device yet.</p></main></html>';
  return new Response(html, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API and stored files (photos, documents: large, and signed for one person) are never kept.
  if (
    request.method !== "GET" ||
    url.origin !== self.location.origin ||
    url.pathname.startsWith("/api/") ||
    url.pathname.startsWith("/files/")
  ) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request).then((cached) => cached || offlinePage())),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
            return response;
          }),
      ),
    );
  }
});
