// The only script of dvor's pages: it registers the service worker that keeps the last pages
// for offline reading. Every page works without it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
