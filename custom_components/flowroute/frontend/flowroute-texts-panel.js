// The Texts panel: every conversation with the house, as a custom panel of Home Assistant.
//
// A plain ES module with one web component (no build step, no libraries): Home Assistant
// sets `hass`, `narrow`, `route` and `panel` on it. It talks only to this Home Assistant:
// the integration's websocket commands (flowroute/conversations/*), the send_message
// action, media_source for pictures, and its own translations under /flowroute_static.
// Colours come from the frontend's theme variables, so light and dark themes both work.

const STATIC_URL = "/flowroute_static";
const LANGUAGES = ["en", "es", "fr"];
const VERSION = new URL(import.meta.url).searchParams.get("v") ?? "";
const DOMAIN = "flowroute";
const PAGE = 50;
const MAX_PAGE = 200; // the websocket API's largest page
const SEARCH_DELAY_MS = 250;
const SEGMENTS_DELAY_MS = 300;
const REFRESH_DELAY_MS = 150;
const NEAR_BOTTOM_PX = 120;
const GROUP_MS = 2 * 60 * 1000; // received texts this close together share one time
const MAX_PICTURES = 200; // resolved pictures kept per open thread
const MAX_TEXT = 10000; // what the segments command accepts
const SEARCH_MAX = 100;
const PICKABLE_SOURCES = [
  "media-source://camera/",
  "media-source://image/",
  "media-source://media_source/",
];

// Material Design Icons (Apache 2.0), drawn inline: ha-icon may not be loaded yet.
const ICONS = {
  menu: "M3,6H21V8H3V6M3,11H21V13H3V11M3,16H21V18H3V16Z",
  back: "M20,11V13H8L13.5,18.5L12.08,19.92L4.16,12L12.08,4.08L13.5,5.5L8,11H20Z",
  send: "M2,21L23,12L2,3V10L17,12L2,14V21Z",
  search:
    "M9.5,3A6.5,6.5 0 0,1 16,9.5C16,11.11 15.41,12.59 14.44,13.73L14.71,14H15.5L20.5,19L19,20.5L14,15.5V14.71L13.73,14.44C12.59,15.41 11.11,16 9.5,16A6.5,6.5 0 0,1 3,9.5A6.5,6.5 0 0,1 9.5,3M9.5,5C7,5 5,7 5,9.5C5,12 7,14 9.5,14C12,14 14,12 14,9.5C14,7 12,5 9.5,5Z",
  plus: "M19,13H13V19H11V13H5V11H11V5H13V11H19V13Z",
  close:
    "M19,6.41L17.59,5L12,10.59L6.41,5L5,6.41L10.59,12L5,17.59L6.41,19L12,13.41L17.59,19L19,17.59L13.41,12L19,6.41Z",
  camera:
    "M4,4H7L9,2H15L17,4H20A2,2 0 0,1 22,6V18A2,2 0 0,1 20,20H4A2,2 0 0,1 2,18V6A2,2 0 0,1 4,4M12,7A5,5 0 0,0 7,12A5,5 0 0,0 12,17A5,5 0 0,0 17,12A5,5 0 0,0 12,7M12,9A3,3 0 0,1 15,12A3,3 0 0,1 12,15A3,3 0 0,1 9,12A3,3 0 0,1 12,9Z",
  image:
    "M8.5,13.5L11,16.5L14.5,12L19,18H5M21,19V5C21,3.89 20.1,3 19,3H5A2,2 0 0,0 3,5V19A2,2 0 0,0 5,21H19A2,2 0 0,0 21,19Z",
  attach:
    "M16.5,6V17.5A4,4 0 0,1 12.5,21.5A4,4 0 0,1 8.5,17.5V5A2.5,2.5 0 0,1 11,2.5A2.5,2.5 0 0,1 13.5,5V15.5A1,1 0 0,1 12.5,16.5A1,1 0 0,1 11.5,15.5V6H10V15.5A2.5,2.5 0 0,0 12.5,18A2.5,2.5 0 0,0 15,15.5V5A4,4 0 0,0 11,1A4,4 0 0,0 7,5V17.5A5.5,5.5 0 0,0 12.5,23A5.5,5.5 0 0,0 18,17.5V6H16.5Z",
  folder:
    "M10,4H4C2.89,4 2,4.89 2,6V18A2,2 0 0,0 4,20H20A2,2 0 0,0 22,18V8C22,6.89 21.1,6 20,6H12L10,4Z",
  check: "M21,7L9,19L3.5,13.5L4.91,12.09L9,16.17L19.59,5.59L21,7Z",
  checkAll:
    "M0.41,13.41L6,19L7.41,17.58L1.83,12M22.24,5.58L11.66,16.17L7.5,12L6.07,13.41L11.66,19L23.66,7M18,7L16.59,5.58L10.24,11.93L11.66,13.34L18,7Z",
  clock:
    "M12,20A8,8 0 0,0 20,12A8,8 0 0,0 12,4A8,8 0 0,0 4,12A8,8 0 0,0 12,20M12,2A10,10 0 0,1 22,12A10,10 0 0,1 12,22C6.47,22 2,17.5 2,12A10,10 0 0,1 12,2M12.5,7V12.25L17,14.92L16.25,16.15L11,13V7H12.5Z",
  alert:
    "M11,15H13V17H11V15M11,7H13V13H11V7M12,2C6.47,2 2,6.5 2,12A10,10 0 0,0 12,22A10,10 0 0,0 22,12A10,10 0 0,0 12,2M12,20A8,8 0 0,1 4,12A8,8 0 0,1 12,4A8,8 0 0,1 20,12A8,8 0 0,1 12,20Z",
  block:
    "M12,2C17.5,2 22,6.5 22,12C22,17.5 17.5,22 12,22C6.5,22 2,17.5 2,12C2,6.5 6.5,2 12,2M12,4C10.1,4 8.4,4.6 7.1,5.7L18.3,16.9C19.3,15.5 20,13.8 20,12C20,7.6 16.4,4 12,4M16.9,18.3L5.7,7.1C4.6,8.4 4,10.1 4,12C4,16.4 7.6,20 12,20C13.9,20 15.6,19.4 16.9,18.3Z",
  messages:
    "M20,2H4A2,2 0 0,0 2,4V22L6,18H20A2,2 0 0,0 22,16V4A2,2 0 0,0 20,2M20,16H5.17L4,17.17V4H20V16M6,7H18V9H6V7M6,11H15V13H6V11Z",
  info: "M11,9H13V7H11M12,20C7.59,20 4,16.41 4,12C4,7.59 7.59,4 12,4C16.41,4 20,7.59 20,12C20,16.41 16.41,20 12,20M12,2A10,10 0 0,0 2,12A10,10 0 0,0 12,22A10,10 0 0,0 22,12A10,10 0 0,0 12,2M11,17H13V11H11V17Z",
};

const STYLES = `
:host {
  display: block;
  height: 100vh;
  height: 100dvh;
  color: var(--primary-text-color);
  background: var(--primary-background-color);
  -webkit-font-smoothing: antialiased;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
button { font: inherit; color: inherit; }
.app { display: flex; flex-direction: column; height: 100%; }
header.top {
  display: flex; align-items: center; gap: 4px; flex: none;
  height: var(--header-height, 56px);
  padding: 0 8px 0 4px;
  padding-top: var(--safe-area-inset-top, 0px);
  box-sizing: content-box;
  background: var(--app-header-background-color, var(--primary-color));
  color: var(--app-header-text-color, var(--text-primary-color, #fff));
  border-bottom: var(--app-header-border-bottom, none);
}
header.top .titles { flex: 1; min-width: 0; margin-left: 12px; display: flex; flex-direction: column; }
header.top .title { font-size: 20px; font-weight: 400; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header.top .subtitle { font-size: 13px; opacity: 0.8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.icon-button {
  display: inline-flex; align-items: center; justify-content: center; flex: none;
  width: 40px; height: 40px; border: none; border-radius: 50%;
  background: transparent; cursor: pointer; padding: 0;
}
.icon-button:hover { background: color-mix(in srgb, currentColor 10%, transparent); }
.icon-button:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 1px; }
.icon-button:disabled { opacity: 0.38; cursor: default; background: transparent; }
svg.icon { width: 24px; height: 24px; fill: currentColor; flex: none; }
svg.small { width: 16px; height: 16px; }
.main { flex: 1; display: flex; min-height: 0; }
.list-pane {
  width: 360px; flex: none; display: flex; flex-direction: column; min-height: 0;
  background: var(--card-background-color, var(--primary-background-color));
  border-right: 1px solid var(--divider-color);
}
.thread-pane { flex: 1; display: flex; flex-direction: column; min-width: 0; min-height: 0; }
.app.narrow .list-pane { width: 100%; border-right: none; }
.app.narrow.in-thread .list-pane { display: none; }
.app.narrow:not(.in-thread) .thread-pane { display: none; }
.search {
  display: flex; align-items: center; gap: 8px; margin: 12px 12px 8px;
  padding: 0 12px; height: 44px; border-radius: 22px;
  background: var(--secondary-background-color, rgba(127,127,127,0.12));
  color: var(--secondary-text-color);
}
.search input {
  flex: 1; min-width: 0; border: none; outline: none; background: transparent;
  color: var(--primary-text-color); font: inherit; font-size: 15px;
}
.search input::placeholder { color: var(--secondary-text-color); }
.note {
  display: flex; gap: 8px; align-items: flex-start; margin: 4px 12px 8px; padding: 10px 12px;
  border-radius: 10px; font-size: 13px; line-height: 1.4;
  background: color-mix(in srgb, var(--info-color, var(--primary-color)) 12%, transparent);
  color: var(--primary-text-color);
}
.note svg { color: var(--info-color, var(--primary-color)); }
.note.warning { background: color-mix(in srgb, var(--error-color, #db4437) 12%, transparent); }
.note.warning svg { color: var(--error-color, #db4437); }
.note.refused { outline: 2px solid var(--error-color, #db4437); animation: nudge 0.3s ease-in-out 2; }
@keyframes nudge { 25% { transform: translateX(-4px); } 75% { transform: translateX(4px); } }
@media (prefers-reduced-motion: reduce) { .note.refused { animation: none; } }
.conversations { flex: 1; overflow-y: auto; padding: 0 0 8px; }
.conversation {
  display: flex; gap: 12px; align-items: center; width: 100%; text-align: left;
  padding: 10px 16px; border: none; background: transparent; cursor: pointer;
  border-radius: 0; min-height: 72px;
}
.conversation:hover { background: color-mix(in srgb, var(--primary-text-color) 5%, transparent); }
.conversation.selected { background: color-mix(in srgb, var(--primary-color) 14%, transparent); }
.conversation:focus-visible { outline: 2px solid var(--primary-color); outline-offset: -2px; }
.avatar {
  width: 44px; height: 44px; border-radius: 50%; flex: none;
  display: flex; align-items: center; justify-content: center;
  font-size: 17px; font-weight: 500;
  background: color-mix(in srgb, var(--primary-color) 18%, transparent);
  color: var(--primary-color);
}
.conversation .body { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 3px; }
.row { display: flex; align-items: center; gap: 8px; min-width: 0; }
.name { flex: 1; min-width: 0; font-size: 15px; font-weight: 500; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.time { flex: none; font-size: 12px; color: var(--secondary-text-color); }
.preview { flex: 1; min-width: 0; font-size: 14px; color: var(--secondary-text-color); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.preview.undelivered { color: var(--error-color, #db4437); }
.preview svg.small { vertical-align: -3px; margin-right: 3px; }
.conversation.unread .name, .conversation.unread .preview { color: var(--primary-text-color); font-weight: 600; }
.conversation.unread .time { color: var(--primary-color); font-weight: 600; }
.unread-badge {
  flex: none; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px;
  background: var(--primary-color); color: var(--text-primary-color, #fff);
  font-size: 12px; font-weight: 600; line-height: 20px; text-align: center;
}
.stop-badge {
  flex: none; padding: 1px 6px; border-radius: 4px; font-size: 11px; font-weight: 700;
  letter-spacing: 0.04em; line-height: 16px;
  background: var(--error-color, #db4437); color: #fff;
}
.did-tag { flex: none; font-size: 11px; color: var(--secondary-text-color); max-width: 40%; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.empty {
  margin: auto; padding: 32px 24px; text-align: center; color: var(--secondary-text-color);
  display: flex; flex-direction: column; align-items: center; gap: 12px; max-width: 420px;
}
.empty svg.icon { width: 56px; height: 56px; opacity: 0.5; }
.text-button {
  border: none; background: transparent; color: var(--primary-color); cursor: pointer;
  font-weight: 500; padding: 8px 12px; border-radius: 18px;
}
.text-button:hover { background: color-mix(in srgb, var(--primary-color) 10%, transparent); }
.filled-button {
  border: none; background: var(--primary-color); color: var(--text-primary-color, #fff);
  cursor: pointer; font-weight: 500; padding: 9px 20px; border-radius: 20px;
}
.filled-button:disabled { opacity: 0.5; cursor: default; }
.thread-header {
  display: flex; align-items: center; gap: 12px; flex: none; padding: 10px 16px;
  min-height: 64px;
  background: var(--card-background-color, var(--primary-background-color));
  border-bottom: 1px solid var(--divider-color);
}
.app.narrow .thread-header { display: none; }
.thread-header .titles { flex: 1; min-width: 0; }
.thread-header .name { font-size: 17px; display: flex; align-items: center; gap: 8px; }
.thread-header .sub { font-size: 13px; color: var(--secondary-text-color); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.messages { flex: 1; overflow-y: auto; padding: 12px 16px 8px; display: flex; flex-direction: column; }
.day {
  align-self: center; margin: 14px 0 8px; padding: 3px 12px; border-radius: 12px;
  font-size: 12px; color: var(--secondary-text-color);
  background: color-mix(in srgb, var(--primary-text-color) 6%, transparent);
}
.message { display: flex; flex-direction: column; max-width: min(75%, 520px); margin: 2px 0; }
.message.in { align-self: flex-start; align-items: flex-start; }
.message.out { align-self: flex-end; align-items: flex-end; }
.message.first { margin-top: 8px; }
.bubble {
  padding: 8px 12px; border-radius: 18px; font-size: 15px; line-height: 1.4;
  white-space: pre-wrap; overflow-wrap: anywhere; display: flex; flex-direction: column; gap: 6px;
}
.message.in .bubble {
  background: var(--secondary-background-color, #e5e5ea);
  color: var(--primary-text-color); border-bottom-left-radius: 6px;
}
.message.out .bubble {
  background: var(--primary-color); color: var(--text-primary-color, #fff);
  border-bottom-right-radius: 6px;
}
.message.out.failed .bubble, .message.out.blocked .bubble {
  background: color-mix(in srgb, var(--error-color, #db4437) 16%, var(--card-background-color, #fff));
  color: var(--primary-text-color);
}
.bubble.media-only { padding: 4px; background: transparent !important; }
.picture {
  display: block; max-width: 260px; max-height: 300px; border-radius: 14px; cursor: zoom-in;
  background: color-mix(in srgb, var(--primary-text-color) 8%, transparent); min-width: 80px; min-height: 60px;
  object-fit: cover;
}
.picture-missing {
  display: flex; gap: 8px; align-items: center; padding: 10px 12px; border-radius: 12px; font-size: 13px;
  background: color-mix(in srgb, var(--primary-text-color) 8%, transparent); color: inherit; white-space: normal;
}
.meta {
  display: flex; align-items: center; gap: 6px; margin: 3px 6px 0; font-size: 12px;
  color: var(--secondary-text-color); flex-wrap: wrap;
}
.meta .state { display: inline-flex; align-items: center; gap: 3px; }
.meta .state.delivered { color: var(--success-color, var(--primary-color)); }
.meta .state.failed, .meta .state.blocked { color: var(--error-color, #db4437); }
.marker {
  padding: 0 6px; border-radius: 4px; font-size: 11px; font-weight: 600; line-height: 16px;
  background: color-mix(in srgb, var(--primary-color) 16%, transparent); color: var(--primary-color);
}
.older { align-self: center; margin: 4px 0 8px; }
.compose {
  flex: none; padding: 8px 12px 12px; padding-bottom: calc(12px + var(--safe-area-inset-bottom, 0px));
  background: var(--card-background-color, var(--primary-background-color));
  border-top: 1px solid var(--divider-color);
}
.compose .note { margin: 0 0 8px; }
.compose-row { display: flex; align-items: flex-end; gap: 4px; }
.field {
  flex: 1; min-width: 0; display: flex; flex-direction: column;
  border-radius: 22px; background: var(--secondary-background-color, rgba(127,127,127,0.12));
  padding: 4px 4px 4px 14px;
}
textarea {
  display: block; width: 100%; resize: none; border: none; outline: none; background: transparent;
  color: var(--primary-text-color); font: inherit; font-size: 15px; line-height: 20px;
  padding: 8px 0; max-height: 140px; min-height: 36px;
}
textarea::placeholder { color: var(--secondary-text-color); }
.send {
  background: var(--primary-color); color: var(--text-primary-color, #fff); width: 44px; height: 44px;
}
.send:hover { background: var(--primary-color); filter: brightness(1.08); }
.send:disabled { background: var(--disabled-color, var(--divider-color)); opacity: 1; color: var(--secondary-text-color); }
.compose-info { display: flex; gap: 8px; margin: 6px 14px 0; font-size: 12px; color: var(--secondary-text-color); min-height: 16px; }
.compose-info .error { color: var(--error-color, #db4437); }
.attachment {
  display: inline-flex; align-items: center; gap: 8px; margin: 4px 0 4px; padding: 4px 4px 4px 4px;
  border-radius: 12px; align-self: flex-start; font-size: 13px;
  background: color-mix(in srgb, var(--primary-color) 12%, transparent);
}
.attachment img, .attachment .thumb {
  width: 40px; height: 40px; border-radius: 8px; object-fit: cover; display: flex; align-items: center; justify-content: center;
}
.attachment .icon-button { width: 28px; height: 28px; }
.attachment .icon-button svg { width: 18px; height: 18px; }
.menu-anchor { position: relative; }
.menu {
  position: absolute; bottom: 48px; left: 0; min-width: 240px; max-width: 320px; z-index: 5;
  background: var(--card-background-color, #fff); color: var(--primary-text-color);
  border-radius: 12px; padding: 6px 0; box-shadow: 0 4px 18px rgba(0,0,0,0.28);
  border: 1px solid var(--divider-color);
}
.menu-item {
  display: flex; align-items: center; gap: 12px; width: 100%; border: none; background: transparent;
  padding: 10px 16px; text-align: left; cursor: pointer; font-size: 14px;
}
.menu-item:hover { background: color-mix(in srgb, var(--primary-text-color) 7%, transparent); }
.menu-label { padding: 8px 16px 4px; font-size: 12px; color: var(--secondary-text-color); }
.new-form { padding: 24px; display: flex; flex-direction: column; gap: 16px; max-width: 480px; }
.new-form h2 { margin: 0; font-size: 20px; font-weight: 500; }
.new-form label { display: flex; flex-direction: column; gap: 6px; font-size: 13px; color: var(--secondary-text-color); }
.new-form input, .new-form select {
  font: inherit; font-size: 16px; padding: 10px 12px; border-radius: 8px;
  border: 1px solid var(--divider-color); background: var(--card-background-color, transparent);
  color: var(--primary-text-color);
}
.new-form .actions { display: flex; gap: 8px; justify-content: flex-end; }
.error-text { color: var(--error-color, #db4437); font-size: 13px; }
.overlay {
  position: fixed; inset: 0; z-index: 10; display: flex; align-items: center; justify-content: center;
  background: rgba(0,0,0,0.6);
}
.viewer img { max-width: 92vw; max-height: 88vh; border-radius: 8px; display: block; }
.viewer .icon-button { position: absolute; top: 12px; right: 12px; color: #fff; }
.dialog {
  width: min(640px, 94vw); max-height: 84vh; display: flex; flex-direction: column;
  background: var(--card-background-color, #fff); color: var(--primary-text-color);
  border-radius: 16px; overflow: hidden; box-shadow: 0 8px 32px rgba(0,0,0,0.4);
}
.dialog header { display: flex; align-items: center; gap: 8px; padding: 8px 8px 8px 12px; border-bottom: 1px solid var(--divider-color); }
.dialog header .title { flex: 1; font-size: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.grid { padding: 12px; overflow-y: auto; display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(132px, 1fr)); }
.tile {
  display: flex; flex-direction: column; border: 1px solid var(--divider-color); border-radius: 10px;
  overflow: hidden; background: transparent; cursor: pointer; padding: 0; text-align: left;
}
.tile:disabled { cursor: default; opacity: 0.45; }
.tile .thumb {
  height: 96px; display: flex; align-items: center; justify-content: center; color: var(--secondary-text-color);
  background: color-mix(in srgb, var(--primary-text-color) 5%, transparent);
}
.tile .thumb img { width: 100%; height: 100%; object-fit: cover; }
.tile .label { padding: 6px 8px; font-size: 13px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.loading { padding: 24px; text-align: center; color: var(--secondary-text-color); }
`;

function pickLanguage(language) {
  const wanted = String(language || "en").toLowerCase();
  if (LANGUAGES.includes(wanted)) {
    return wanted;
  }
  const base = wanted.split("-")[0];
  return LANGUAGES.includes(base) ? base : "en";
}

const translationFiles = new Map();

function loadTranslationFile(language) {
  if (!translationFiles.has(language)) {
    const url = `${STATIC_URL}/translations/${language}.json?v=${encodeURIComponent(VERSION)}`;
    const loading = fetch(url, { credentials: "same-origin" }).then((response) => {
      if (!response.ok) {
        throw new Error(`${url}: ${response.status}`);
      }
      return response.json();
    });
    loading.catch(() => translationFiles.delete(language));
    translationFiles.set(language, loading);
  }
  return translationFiles.get(language);
}

function lookup(tree, key) {
  let node = tree;
  for (const part of key.split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) {
      return undefined;
    }
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    values && name in values ? String(values[name]) : whole,
  );
}

function formatNumber(digits) {
  const plain = String(digits ?? "").replace(/^\+/, "");
  if (/^1\d{10}$/.test(plain)) {
    return `+1 ${plain.slice(1, 4)} ${plain.slice(4, 7)} ${plain.slice(7)}`;
  }
  return /^\d+$/.test(plain) ? `+${plain}` : plain;
}

function conversationKey(entryId, did, number) {
  return `${entryId}|${did}|${number}`;
}

function initials(name) {
  const letters = String(name)
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => Array.from(word)[0]);
  return letters.join("").toUpperCase();
}

function icon(path, extraClass = "") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon ${extraClass}`.trim());
  svg.setAttribute("aria-hidden", "true");
  const drawn = document.createElementNS("http://www.w3.org/2000/svg", "path");
  drawn.setAttribute("d", path);
  svg.append(drawn);
  return svg;
}

// A small element builder: text always goes in as text, never as markup.
function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === "class") {
      element.className = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value") {
      element.value = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) {
      element.append(child instanceof Node ? child : String(child));
    }
  }
  return element;
}

function iconButton(path, label, onclick, extra = {}) {
  return h(
    "button",
    { class: "icon-button", type: "button", title: label, "aria-label": label, onclick, ...extra },
    icon(path),
  );
}

function sameDay(a, b) {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

class FlowrouteTextsPanel extends HTMLElement {
  constructor() {
    super();
    this._hass = undefined;
    this._narrow = false;
    this.route = undefined;
    this.panel = undefined;
    this._language = undefined;
    this._strings = null;
    this._english = null;
    this._exceptions = {};
    this._formatters = new Map();
    this._started = false;
    this._unsubscribe = null;
    this._subscribing = null;
    this._listRequest = 0;
    this._threadRequest = 0;
    this._segmentsRequest = 0;
    this._timers = {};
    this._conversations = [];
    this._hasMore = false;
    this._listCount = PAGE;
    this._stored = true;
    this._numbers = [];
    this._listLoaded = false;
    this._listError = null;
    this._search = "";
    this._selected = null;
    this._messages = [];
    this._threadHasMore = false;
    this._threadOptedOut = false;
    this._threadLoading = false;
    this._threadError = null;
    this._newOpen = false;
    this._newError = null;
    this._attachment = null;
    this._menuOpen = false;
    this._segments = null;
    this._sending = false;
    this._composeError = null;
    this._refused = false;
    this._marking = new Set();
    this._pictures = new Map();
    this._onVisibility = () => this._markReadIfSeen();
    this._onReady = () => this._reload();
    this._onKey = (event) => {
      if (event.key === "Escape") {
        this._closeOverlays();
      }
    };
    this.attachShadow({ mode: "open" });
  }

  // Properties Home Assistant sets

  get hass() {
    return this._hass;
  }

  set hass(hass) {
    const previous = this._hass;
    this._hass = hass;
    if (!hass) {
      return;
    }
    if (previous?.locale !== hass.locale) {
      this._formatters.clear(); // the user changed how times or numbers are written
    }
    const language = pickLanguage(hass.language);
    if (language !== this._language) {
      this._language = language;
      this._formatters.clear();
      this._loadStrings();
    }
    if (this.isConnected && !this._started) {
      this._start();
    } else if (previous && previous.dockedSidebar !== hass.dockedSidebar) {
      this._renderHeader();
    }
  }

  get narrow() {
    return this._narrow;
  }

  set narrow(narrow) {
    const changed = Boolean(narrow) !== this._narrow;
    this._narrow = Boolean(narrow);
    if (changed && this._strings) {
      this._render();
    }
  }

  connectedCallback() {
    document.addEventListener("visibilitychange", this._onVisibility);
    document.addEventListener("keydown", this._onKey);
    if (this._hass && !this._started) {
      this._start();
    }
  }

  disconnectedCallback() {
    document.removeEventListener("visibilitychange", this._onVisibility);
    document.removeEventListener("keydown", this._onKey);
    this._stop();
  }

  // Life cycle

  _start() {
    this._started = true;
    this._hass.connection.addEventListener("ready", this._onReady);
    this._subscribe();
    this._loadList();
    if (this._selected) {
      this._loadThread();
    }
  }

  _stop() {
    this._started = false;
    for (const timer of Object.values(this._timers)) {
      clearTimeout(timer);
    }
    this._timers = {};
    this._hass?.connection.removeEventListener("ready", this._onReady);
    const unsubscribe = this._unsubscribe;
    this._unsubscribe = null;
    this._subscribing = null;
    // One still on its way is ended by _subscribe's handler, which finds it stale.
    unsubscribe?.().catch(() => {});
  }

  _subscribe() {
    const subscribing = this._hass.connection.subscribeMessage((event) => this._onEvent(event), {
      type: `${DOMAIN}/conversations/subscribe`,
    });
    this._subscribing = subscribing;
    subscribing.then(
      (unsubscribe) => {
        if (this._subscribing === subscribing) {
          this._unsubscribe = unsubscribe;
          this._subscribing = null;
        } else {
          unsubscribe().catch(() => {});
        }
      },
      (error) => {
        this._listError = this._errorText(error);
        this._renderList();
      },
    );
  }

  // After a reconnection the subscription resumes; what happened meanwhile is read again.
  _reload() {
    this._loadList();
    if (this._selected) {
      this._loadThread();
    }
  }

  async _loadStrings() {
    const language = this._language;
    try {
      const english = this._english ?? (await loadTranslationFile("en"));
      this._english = english;
      let strings = english;
      if (language !== "en") {
        try {
          strings = await loadTranslationFile(language);
        } catch {
          strings = english;
        }
      }
      if (language !== this._language) {
        return;
      }
      this._strings = strings;
    } catch (error) {
      this._strings = {};
      this._english = {};
      console.error("Flowroute Texts panel: no translations", error);
    }
    this._loadExceptionTexts();
    this._render();
  }

  async _loadExceptionTexts() {
    try {
      const answer = await this._hass.callWS({
        type: "frontend/get_translations",
        language: this._hass.language,
        category: "exceptions",
        integration: [DOMAIN],
      });
      this._exceptions = answer?.resources ?? {};
    } catch {
      this._exceptions = {};
    }
    this._renderCompose();
  }

  // Strings and formats

  _t(key, values) {
    const template = lookup(this._strings ?? {}, key) ?? lookup(this._english ?? {}, key) ?? key;
    return fill(template, values);
  }

  _plural(key, count, values = {}) {
    const category = this._pluralRules().select(count);
    const exact = `${key}_${category}`;
    const chosen = lookup(this._strings ?? {}, exact) !== undefined ? exact : `${key}_other`;
    return this._t(chosen, { count: this._numberFormat().format(count), ...values });
  }

  _locale() {
    return this._hass?.locale?.language || this._hass?.language || "en";
  }

  _pluralRules() {
    return this._cached("plural", (locale) => new Intl.PluralRules(locale));
  }

  _numberFormat() {
    return this._cached("number", (locale) => new Intl.NumberFormat(locale));
  }

  // One formatter per kind, in the user's locale (English if Intl does not know it).
  _cached(name, make) {
    if (!this._formatters.has(name)) {
      let made;
      try {
        made = make(this._locale());
      } catch {
        made = make("en");
      }
      this._formatters.set(name, made);
    }
    return this._formatters.get(name);
  }

  // Times as the user's profile asks: 12 or 24 hours, the browser's or the server's zone.
  _dateFormat(options) {
    return this._cached(JSON.stringify(options), (language) => {
      const locale = this._hass?.locale ?? {};
      const settings = { ...options };
      if ("hour" in options && locale.time_format === "12") {
        settings.hour12 = true;
      } else if ("hour" in options && locale.time_format === "24") {
        settings.hour12 = false;
      }
      if (locale.time_zone === "server" && this._hass?.config?.time_zone) {
        settings.timeZone = this._hass.config.time_zone;
      }
      try {
        return new Intl.DateTimeFormat(language, settings);
      } catch {
        return new Intl.DateTimeFormat(language, options); // a zone this browser lacks
      }
    });
  }

  _time(date) {
    return this._dateFormat({ hour: "numeric", minute: "2-digit" }).format(date);
  }

  _listTime(date) {
    const now = new Date();
    if (sameDay(date, now)) {
      return this._time(date);
    }
    const days = (now - date) / 86400000;
    if (days < 6) {
      return this._dateFormat({ weekday: "short" }).format(date);
    }
    if (date.getFullYear() === now.getFullYear()) {
      return this._dateFormat({ month: "short", day: "numeric" }).format(date);
    }
    return this._dateFormat({ year: "numeric", month: "short", day: "numeric" }).format(date);
  }

  _dayLabel(date) {
    const now = new Date();
    const yesterday = new Date(now);
    yesterday.setDate(now.getDate() - 1);
    let offset = null;
    if (sameDay(date, now)) {
      offset = 0;
    } else if (sameDay(date, yesterday)) {
      offset = -1;
    }
    if (offset !== null) {
      const relative = this._cached(
        "relative",
        (locale) => new Intl.RelativeTimeFormat(locale, { numeric: "auto" }),
      );
      const text = relative.format(offset, "day");
      return text.charAt(0).toLocaleUpperCase(this._locale()) + text.slice(1);
    }
    const options = { weekday: "long", month: "long", day: "numeric" };
    if (date.getFullYear() !== now.getFullYear()) {
      options.year = "numeric";
    }
    return this._dateFormat(options).format(date);
  }

  _didName(entryId, did) {
    const number = this._numbers.find(
      (item) => item.config_entry_id === entryId && item.did === did,
    );
    return number?.name && number.name !== formatNumber(did)
      ? `${formatNumber(did)} (${number.name})`
      : formatNumber(did);
  }

  _errorText(error) {
    if (error?.translation_key && error.translation_domain) {
      const key = `component.${error.translation_domain}.exceptions.${error.translation_key}.message`;
      const template = this._exceptions[key];
      if (template) {
        return fill(template, error.translation_placeholders ?? {});
      }
    }
    return error?.message || String(error);
  }

  _optedOutText() {
    const selected = this._selected;
    const template = this._exceptions[`component.${DOMAIN}.exceptions.opted_out.message`];
    const values = { to: formatNumber(selected.number), from: formatNumber(selected.did) };
    return template ? fill(template, values) : this._t("thread.opted_out", values);
  }

  // Data

  _scheduleRefresh() {
    clearTimeout(this._timers.refresh);
    this._timers.refresh = setTimeout(() => this._loadList(), REFRESH_DELAY_MS);
  }

  async _loadList() {
    if (!this._hass) {
      return;
    }
    const request = ++this._listRequest;
    const search = this._search.trim();
    const conversations = [];
    let answer;
    try {
      let hasMore = true;
      while (hasMore && conversations.length < this._listCount) {
        const message = {
          type: `${DOMAIN}/conversations/list`,
          limit: Math.min(MAX_PAGE, this._listCount - conversations.length),
          offset: conversations.length,
        };
        if (search) {
          message.search = search;
        }
        answer = await this._hass.callWS(message);
        conversations.push(...answer.conversations);
        hasMore = answer.has_more && answer.conversations.length > 0;
      }
    } catch (error) {
      if (request === this._listRequest) {
        this._listError = this._errorText(error);
        this._listLoaded = true;
        this._renderList();
      }
      return;
    }
    if (request !== this._listRequest) {
      return;
    }
    this._listError = null;
    this._listLoaded = true;
    this._conversations = conversations;
    this._hasMore = answer.has_more;
    this._stored = answer.stored;
    this._numbers = answer.numbers ?? [];
    const selected = this._selectedSummary();
    if (selected && this._selected) {
      this._selected.contact = selected.contact;
      this._threadOptedOut = selected.opted_out;
    }
    this._renderList();
    this._renderHeader();
    this._renderThreadHeader();
    this._renderCompose();
    this._markReadIfSeen();
  }

  _selectedSummary() {
    if (!this._selected) {
      return undefined;
    }
    const { config_entry_id: entryId, did, number } = this._selected;
    return this._conversations.find(
      (item) => item.config_entry_id === entryId && item.did === did && item.number === number,
    );
  }

  _isOpen(entryId, did, number) {
    const selected = this._selected;
    return (
      selected !== null &&
      selected.config_entry_id === entryId &&
      selected.did === did &&
      selected.number === number
    );
  }

  async _loadThread({ older = false } = {}) {
    const selected = this._selected;
    const request = ++this._threadRequest;
    const message = {
      type: `${DOMAIN}/conversations/thread`,
      config_entry_id: selected.config_entry_id,
      did: selected.did,
      number: selected.number,
      limit: PAGE,
    };
    if (older && this._messages.length) {
      message.before = this._messages[0].id;
    }
    this._threadLoading = true;
    if (!older) {
      this._renderThread();
    }
    let answer;
    try {
      answer = await this._hass.callWS(message);
    } catch (error) {
      if (request === this._threadRequest) {
        this._threadLoading = false;
        this._threadError = this._errorText(error);
        this._renderThread();
      }
      return;
    }
    if (request !== this._threadRequest || selected !== this._selected) {
      return;
    }
    this._threadLoading = false;
    this._threadError = null;
    this._threadOptedOut = answer.opted_out;
    selected.contact = answer.contact ?? selected.contact;
    if (older) {
      const known = new Set(this._messages.map((item) => item.id));
      this._messages = [
        ...answer.messages.filter((item) => !known.has(item.id)),
        ...this._messages,
      ];
      this._threadHasMore = answer.has_more;
      this._renderThread({ keepPosition: true });
    } else {
      // What was shown (earlier pages, events that came while this page was on its way)
      // is kept, updated by the page; ISO times in UTC sort as text.
      const merged = new Map(this._messages.map((item) => [item.id, item]));
      for (const item of answer.messages) {
        merged.set(item.id, item);
      }
      this._messages = [...merged.values()].sort((a, b) =>
        a.time < b.time ? -1 : a.time > b.time ? 1 : 0,
      );
      this._threadHasMore = answer.has_more;
      this._renderThread({ toBottom: true });
    }
    this._renderHeader();
    this._renderThreadHeader();
    this._renderCompose();
    this._markReadIfSeen(true);
  }

  _threadVisible() {
    return (
      this._selected !== null &&
      this.isConnected &&
      document.visibilityState === "visible" &&
      !this._newOpen
    );
  }

  // Marks the open conversation read while a person can see it: when the list says it
  // has unread texts, or when texts just `arrived` (the thread loaded, or a text came in)
  // and the list does not say otherwise (a search may have left it out).
  _markReadIfSeen(arrived = false) {
    if (!this._threadVisible() || !this._hass) {
      return;
    }
    const summary = this._selectedSummary();
    const unread = summary ? summary.unread > 0 : arrived;
    if (!unread) {
      return;
    }
    const { config_entry_id: entryId, did, number } = this._selected;
    const key = conversationKey(entryId, did, number);
    if (this._marking.has(key)) {
      return;
    }
    this._marking.add(key);
    this._hass
      .callWS({ type: `${DOMAIN}/conversations/mark_read`, config_entry_id: entryId, did, number })
      .catch(() => {})
      .finally(() => this._marking.delete(key));
  }

  _onEvent(event) {
    if (!event || typeof event !== "object") {
      return;
    }
    if (event.kind === "message" || event.kind === "update") {
      const message = event.message;
      if (this._isOpen(event.config_entry_id, message.did, message.number)) {
        const index = this._messages.findIndex((item) => item.id === message.id);
        const atBottom = this._nearBottom();
        if (index >= 0) {
          this._messages[index] = message;
        } else {
          this._messages.push(message);
        }
        this._renderThread({ toBottom: atBottom || (index < 0 && message.direction === "out") });
        if (event.kind === "message" && message.direction === "in") {
          this._markReadIfSeen(true);
        }
      }
      this._scheduleRefresh();
    } else if (event.kind === "opt_out") {
      if (this._isOpen(event.config_entry_id, event.did, event.number)) {
        this._threadOptedOut = Boolean(event.opted_out);
        this._renderHeader();
        this._renderThreadHeader();
        this._renderCompose();
      }
      this._scheduleRefresh();
    } else if (event.kind === "read") {
      this._scheduleRefresh();
    }
  }

  // Actions

  _toggleMenu() {
    this.dispatchEvent(new Event("hass-toggle-menu", { bubbles: true, composed: true }));
  }

  _open(summary) {
    const same =
      this._selected && this._isOpen(summary.config_entry_id, summary.did, summary.number);
    this._newOpen = false;
    if (!same) {
      this._selected = {
        config_entry_id: summary.config_entry_id,
        did: summary.did,
        number: summary.number,
        contact: summary.contact ?? null,
      };
      this._messages = [];
      this._threadHasMore = false;
      this._threadOptedOut = Boolean(summary.opted_out);
      this._threadError = null;
      this._composeError = null;
      this._refused = false;
      this._attachment = null;
      this._segments = null;
      this._pictures.clear();
      if (this._textarea) {
        this._textarea.value = "";
        this._fitTextarea();
      }
    }
    this._render();
    if (!same) {
      this._loadThread();
    }
    if (!this._narrow) {
      this._textarea?.focus();
    }
  }

  _back() {
    this._selected = null;
    this._newOpen = false;
    this._threadRequest++;
    this._messages = [];
    this._pictures.clear();
    this._render();
  }

  _openNew() {
    this._newOpen = true;
    this._newError = null;
    this._render();
    this._shadow(".new-form input")?.focus();
  }

  async _startNew(form) {
    const typed = form.querySelector("input").value.trim();
    const [entryId, did] = JSON.parse(form.querySelector("select").value);
    if (!typed) {
      return;
    }
    try {
      const answer = await this._hass.callWS({
        type: `${DOMAIN}/conversations/thread`,
        config_entry_id: entryId,
        did,
        number: typed,
        limit: 1,
      });
      // The conversation as the store keys it, however the number was typed.
      this._open({
        config_entry_id: entryId,
        did: answer.did,
        number: answer.number,
        contact: answer.contact,
        opted_out: answer.opted_out,
      });
    } catch (error) {
      this._newError = this._errorText(error);
      this._renderThread();
    }
  }

  async _send() {
    const selected = this._selected;
    if (!selected || this._sending) {
      return;
    }
    if (this._threadOptedOut) {
      // Refused here, as the action would refuse it: nothing is tried. The note above
      // the box already says why; it is announced again and drawn as an alert.
      this._refused = true;
      this._renderCompose();
      return;
    }
    const text = this._textarea.value;
    const attachment = this._attachment;
    if (!text.trim() && !attachment) {
      return;
    }
    const data = {
      config_entry_id: selected.config_entry_id,
      from: `+${selected.did}`,
      to: `+${selected.number}`,
      message: text,
    };
    if (attachment) {
      data.media = [
        {
          media_content_id: attachment.media_content_id,
          media_content_type: attachment.media_content_type,
        },
      ];
    }
    this._sending = true;
    this._composeError = null;
    this._renderCompose();
    try {
      await this._hass.callWS({
        type: "call_service",
        domain: DOMAIN,
        service: "send_message",
        service_data: data,
        return_response: true,
      });
      if (selected === this._selected) {
        this._textarea.value = "";
        this._attachment = null;
        this._segments = null;
        this._fitTextarea();
        this._scrollToBottom();
      }
    } catch (error) {
      if (selected === this._selected) {
        this._composeError = this._errorText(error);
      }
    } finally {
      this._sending = false;
      this._renderCompose();
      if (!this._narrow) {
        this._textarea?.focus();
      }
    }
  }

  _countLater() {
    clearTimeout(this._timers.segments);
    this._timers.segments = setTimeout(() => this._count(), SEGMENTS_DELAY_MS);
  }

  async _count() {
    const selected = this._selected;
    const text = this._textarea?.value ?? "";
    const request = ++this._segmentsRequest;
    if (!selected || !text) {
      this._segments = null;
      this._renderComposeInfo();
      return;
    }
    try {
      const answer = await this._hass.callWS({
        type: `${DOMAIN}/conversations/segments`,
        config_entry_id: selected.config_entry_id,
        text: text.slice(0, MAX_TEXT),
      });
      if (request === this._segmentsRequest) {
        this._segments = answer;
        this._renderComposeInfo();
      }
    } catch {
      if (request === this._segmentsRequest) {
        this._segments = null;
        this._renderComposeInfo();
      }
    }
  }

  _attachCamera(entityId) {
    const state = this._hass.states[entityId];
    this._attachment = {
      media_content_id: `media-source://camera/${entityId}`,
      media_content_type: "image/jpeg",
      label: state?.attributes?.friendly_name || entityId,
      thumbnail: state?.attributes?.entity_picture || null,
    };
    this._menuOpen = false;
    this._composeError = null;
    this._renderCompose();
  }

  async _attachMedia(item) {
    this._attachment = {
      media_content_id: item.media_content_id,
      media_content_type: item.media_content_type,
      label: item.title,
      thumbnail: null,
    };
    this._closeOverlays();
    this._composeError = null;
    this._renderCompose();
    try {
      const resolved = await this._hass.callWS({
        type: "media_source/resolve_media",
        media_content_id: item.media_content_id,
      });
      if (this._attachment?.media_content_id === item.media_content_id) {
        this._attachment.thumbnail = this._url(resolved.url);
        this._renderCompose();
      }
    } catch {
      // The chip keeps its icon: the send will say what is wrong with the picture.
    }
  }

  _url(path) {
    return typeof this._hass.hassUrl === "function" ? this._hass.hassUrl(path) : path;
  }

  // Rendering

  _shadow(selector) {
    return this.shadowRoot.querySelector(selector);
  }

  _render() {
    if (!this._strings || !this._hass) {
      return;
    }
    if (!this._app) {
      this._build();
    }
    const atBottom = this._nearBottom(); // before the layout changes
    this._app.classList.toggle("narrow", this._narrow);
    this._app.classList.toggle("in-thread", Boolean(this._selected || this._newOpen));
    this._renderHeader();
    this._renderList();
    this._renderThread({ toBottom: atBottom });
  }

  _build() {
    const style = h("style", {}, STYLES);
    this._header = h("header", { class: "top" });
    this._searchInput = h("input", {
      type: "search",
      maxlength: String(SEARCH_MAX),
      "data-testid": "search",
      oninput: () => {
        this._search = this._searchInput.value;
        clearTimeout(this._timers.search);
        this._timers.search = setTimeout(() => {
          this._listCount = PAGE;
          this._loadList();
        }, SEARCH_DELAY_MS);
      },
    });
    this._searchBox = h("label", { class: "search" }, icon(ICONS.search), this._searchInput);
    this._storedNote = h("div", { class: "note", "data-testid": "not-stored", hidden: true });
    this._list = h("div", { class: "conversations", role: "list" });
    this._listPane = h(
      "section",
      { class: "list-pane" },
      this._searchBox,
      this._storedNote,
      this._list,
    );
    this._threadHeader = h("div", { class: "thread-header" });
    this._messagesBox = h("div", {
      class: "messages",
      "data-testid": "thread",
      "aria-live": "polite",
    });
    this._textarea = h("textarea", {
      rows: "1",
      "data-testid": "compose-input",
      oninput: () => {
        this._composeError = null;
        if (this._refused) {
          this._refused = false;
          this._renderCompose();
        }
        this._fitTextarea();
        this._countLater();
        this._renderComposeInfo();
        this._renderSendButton();
      },
      onkeydown: (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this._send();
        }
      },
    });
    this._compose = h("div", { class: "compose" });
    this._buildCompose();
    this._threadPane = h(
      "section",
      { class: "thread-pane" },
      this._threadHeader,
      this._messagesBox,
      this._compose,
    );
    this._overlay = h("div", { hidden: true });
    this._app = h(
      "div",
      { class: "app" },
      this._header,
      h("div", { class: "main" }, this._listPane, this._threadPane),
      this._overlay,
    );
    this.shadowRoot.replaceChildren(style, this._app);
    // A click anywhere else closes the attach menu, as menus do.
    this.shadowRoot.addEventListener("click", (event) => {
      if (this._menuOpen && !event.composedPath().includes(this._menuAnchor)) {
        this._menuOpen = false;
        this._renderCompose();
      }
    });
  }

  _renderHeader() {
    if (!this._header) {
      return;
    }
    const inThread = this._narrow && (this._selected || this._newOpen);
    const children = [];
    if (inThread) {
      children.push(
        iconButton(ICONS.back, this._t("common.back"), () => this._back(), {
          "data-testid": "back",
        }),
      );
      if (this._newOpen) {
        children.push(
          h("div", { class: "titles" }, h("div", { class: "title" }, this._t("new.title"))),
        );
      } else {
        const { name, sub } = this._threadTitles();
        children.push(
          h(
            "div",
            { class: "titles" },
            h("div", { class: "title" }, name),
            h("div", { class: "subtitle" }, sub),
          ),
        );
        if (this._threadOptedOut) {
          children.push(this._stopBadge());
        }
      }
    } else {
      const showMenu = this._narrow || this._hass?.dockedSidebar === "always_hidden";
      if (showMenu) {
        children.push(
          iconButton(ICONS.menu, this._t("common.menu"), () => this._toggleMenu(), {
            "data-testid": "menu",
          }),
        );
      }
      children.push(h("div", { class: "titles" }, h("div", { class: "title" }, this._t("title"))));
      children.push(
        iconButton(ICONS.plus, this._t("new.title"), () => this._openNew(), {
          "data-testid": "new-conversation",
        }),
      );
    }
    this._header.replaceChildren(...children);
  }

  _threadTitles() {
    const selected = this._selected;
    const number = formatNumber(selected.number);
    const name = selected.contact || number;
    const did = this._t("thread.your_number", {
      did: this._didName(selected.config_entry_id, selected.did),
    });
    return { name, sub: selected.contact ? `${number} · ${did}` : did };
  }

  _stopBadge() {
    return h(
      "span",
      { class: "stop-badge", "data-testid": "stop-badge", title: this._t("list.stop_title") },
      this._t("list.stop"),
    );
  }

  _renderList() {
    if (!this._list || !this._strings) {
      return;
    }
    this._searchInput.placeholder = this._t("list.search");
    this._searchInput.setAttribute("aria-label", this._t("common.search"));
    this._storedNote.hidden = this._stored !== false;
    this._storedNote.replaceChildren(icon(ICONS.info), h("span", {}, this._t("list.not_stored")));
    const items = [];
    if (this._listError) {
      items.push(
        h("div", { class: "note warning" }, icon(ICONS.alert), h("span", {}, this._listError)),
      );
    }
    // Which of your numbers a conversation is on matters once the list holds several.
    const several =
      new Set(this._conversations.map((item) => `${item.config_entry_id}|${item.did}`)).size > 1;
    for (const summary of this._conversations) {
      items.push(this._conversationElement(summary, several));
    }
    if (this._listLoaded && !this._conversations.length && !this._listError) {
      items.push(
        this._search.trim()
          ? h(
              "div",
              { class: "empty" },
              h("span", {}, this._t("list.no_results", { search: this._search.trim() })),
            )
          : h(
              "div",
              { class: "empty", "data-testid": "no-conversations" },
              icon(ICONS.messages),
              h("span", {}, this._t("list.empty")),
              h(
                "button",
                { class: "text-button", type: "button", onclick: () => this._openNew() },
                this._t("new.title"),
              ),
            ),
      );
    }
    if (this._hasMore) {
      items.push(
        h(
          "button",
          {
            class: "text-button older",
            type: "button",
            onclick: () => {
              this._listCount += PAGE;
              this._loadList();
            },
          },
          this._t("list.more"),
        ),
      );
    }
    this._list.replaceChildren(...items);
  }

  _conversationElement(summary, several) {
    const name = summary.contact || formatNumber(summary.number);
    const last = summary.last;
    let preview = last.text;
    if (!preview && last.media) {
      preview = this._t("thread.picture");
    }
    if (last.direction === "out") {
      preview = this._t(last.origin === "assist" ? "list.assist" : "list.you", { text: preview });
    }
    const selected = this._isOpen(summary.config_entry_id, summary.did, summary.number);
    const unread = summary.unread > 0 && !selected;
    const classes = ["conversation"];
    if (selected) {
      classes.push("selected");
    }
    if (unread) {
      classes.push("unread");
    }
    const rowTop = [h("span", { class: "name" }, name)];
    if (summary.opted_out) {
      rowTop.push(this._stopBadge());
    }
    rowTop.push(h("span", { class: "time" }, this._listTime(new Date(last.time))));
    const undelivered =
      last.direction === "out" && !["queued", "sent", "delivered"].includes(last.state);
    const rowBottom = [
      h(
        "span",
        { class: undelivered ? "preview undelivered" : "preview", "data-testid": "preview" },
        undelivered ? icon(ICONS.alert, "small") : null,
        preview,
      ),
    ];
    if (several) {
      const did = this._numbers.find(
        (item) => item.config_entry_id === summary.config_entry_id && item.did === summary.did,
      );
      rowBottom.push(h("span", { class: "did-tag" }, did?.name || formatNumber(summary.did)));
    }
    if (unread) {
      rowBottom.push(
        h(
          "span",
          {
            class: "unread-badge",
            "data-testid": "unread",
            "aria-label": this._plural("list.unread", summary.unread),
          },
          this._numberFormat().format(summary.unread),
        ),
      );
    }
    return h(
      "button",
      {
        class: classes.join(" "),
        type: "button",
        role: "listitem",
        "aria-current": selected ? "true" : null,
        dataset: {
          testid: "conversation",
          number: summary.number,
          did: summary.did,
          entry: summary.config_entry_id,
        },
        onclick: () => this._open(summary),
      },
      h(
        "span",
        { class: "avatar", "aria-hidden": "true" },
        summary.contact ? initials(summary.contact) : icon(ICONS.messages),
      ),
      h(
        "span",
        { class: "body" },
        h("span", { class: "row" }, rowTop),
        h("span", { class: "row" }, rowBottom),
      ),
    );
  }

  _renderThreadHeader() {
    if (!this._threadHeader || !this._selected || this._newOpen) {
      return;
    }
    const { name, sub } = this._threadTitles();
    const title = h("div", { class: "name", "data-testid": "thread-name" }, name);
    if (this._threadOptedOut) {
      title.append(this._stopBadge());
    }
    this._threadHeader.replaceChildren(
      h(
        "span",
        { class: "avatar", "aria-hidden": "true" },
        this._selected.contact ? initials(this._selected.contact) : icon(ICONS.messages),
      ),
      h("div", { class: "titles" }, title, h("div", { class: "sub" }, sub)),
    );
  }

  _renderThread({ toBottom = false, keepPosition = false } = {}) {
    if (!this._messagesBox || !this._strings) {
      return;
    }
    if (this._newOpen) {
      this._threadHeader.hidden = true;
      this._compose.hidden = true;
      this._messagesBox.replaceChildren(this._newForm());
      return;
    }
    if (!this._selected) {
      this._threadHeader.hidden = true;
      this._compose.hidden = true;
      this._messagesBox.replaceChildren(
        h("div", { class: "empty" }, icon(ICONS.messages), h("span", {}, this._t("thread.choose"))),
      );
      return;
    }
    this._threadHeader.hidden = false;
    this._compose.hidden = false;
    this._renderThreadHeader();
    const box = this._messagesBox;
    const previousHeight = box.scrollHeight;
    const previousTop = box.scrollTop;
    const items = [];
    if (this._threadHasMore) {
      items.push(
        h(
          "button",
          {
            class: "text-button older",
            type: "button",
            "data-testid": "load-earlier",
            onclick: () => this._loadThread({ older: true }),
          },
          this._t("thread.earlier"),
        ),
      );
    }
    if (this._threadError) {
      items.push(
        h("div", { class: "note warning" }, icon(ICONS.alert), h("span", {}, this._threadError)),
      );
    }
    let previous = null;
    this._messages.forEach((message, index) => {
      const time = new Date(message.time);
      if (!previous || !sameDay(previous.date, time)) {
        items.push(h("div", { class: "day" }, this._dayLabel(time)));
      }
      const first = !previous || previous.direction !== message.direction;
      // Received texts in a quick run show their time once, under the last; every sent
      // text shows its own delivery state.
      const next = this._messages[index + 1];
      const timed =
        message.direction === "out" ||
        !next ||
        next.direction !== message.direction ||
        new Date(next.time) - time > GROUP_MS;
      items.push(this._messageElement(message, time, first, timed));
      previous = { date: time, direction: message.direction };
    });
    if (!this._messages.length && !this._threadLoading && !this._threadError) {
      items.push(h("div", { class: "empty" }, h("span", {}, this._t("thread.empty"))));
    }
    box.replaceChildren(...items);
    if (keepPosition) {
      box.scrollTop = previousTop + (box.scrollHeight - previousHeight);
    } else if (toBottom) {
      this._scrollToBottom();
    }
    this._renderCompose();
  }

  _nearBottom() {
    const box = this._messagesBox;
    return !box || box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
  }

  _scrollToBottom() {
    const box = this._messagesBox;
    if (box) {
      box.scrollTop = box.scrollHeight;
    }
  }

  _messageElement(message, time, first, timed) {
    const outbound = message.direction === "out";
    const blocked = String(message.state).startsWith("blocked") || message.state === "opted_out";
    const classes = ["message", outbound ? "out" : "in"];
    if (first) {
      classes.push("first");
    }
    if (message.state === "failed") {
      classes.push("failed");
    }
    if (blocked) {
      classes.push("blocked");
    }
    const media = message.media ?? [];
    const parts = media.map((item) => this._pictureElement(item, outbound));
    if (message.body) {
      parts.push(h("span", { "data-testid": "message-body" }, message.body));
    }
    // A picture alone is drawn without a bubble around it; a placeholder keeps its bubble.
    const bare = !message.body && media.length && media.every((item) => item.media_content_id);
    const bubble = h("div", { class: bare ? "bubble media-only" : "bubble" }, parts);
    const meta = [h("span", { class: "sent-at" }, this._time(time))];
    const marker = this._marker(message);
    if (!timed && !marker) {
      meta.length = 0;
    }
    if (marker) {
      meta.unshift(h("span", { class: "marker", "data-testid": "marker" }, marker));
    }
    if (outbound) {
      meta.push(this._stateElement(message));
    }
    return h(
      "div",
      {
        class: classes.join(" "),
        dataset: {
          testid: "message",
          direction: message.direction,
          state: message.state,
          id: message.id,
        },
      },
      bubble,
      meta.length ? h("div", { class: "meta" }, meta) : null,
    );
  }

  _marker(message) {
    if (message.direction === "out") {
      if (message.origin === "assist") {
        return this._t("marker.assist");
      }
      if (message.origin === "ask" || message.origin === "question") {
        return this._t("marker.question");
      }
      if (message.origin === "keyword") {
        return this._t("marker.keyword");
      }
      return null;
    }
    if (message.handled_by === "assist") {
      return this._t("marker.to_assist");
    }
    if (message.handled_by === "question") {
      return this._t("marker.answer");
    }
    if (message.handled_by === "keyword") {
      return this._t("marker.keyword_in");
    }
    return null;
  }

  _stateElement(message) {
    const state = message.state;
    let path = ICONS.check;
    let kind = state;
    let text;
    if (state === "queued") {
      path = ICONS.clock;
      text = this._t("state.queued");
    } else if (state === "sent") {
      text = this._t("state.sent");
    } else if (state === "delivered") {
      path = ICONS.checkAll;
      text = this._t("state.delivered");
    } else if (state === "failed") {
      path = ICONS.alert;
      const reason = message.status_description || null;
      if (reason && message.status_code) {
        text = this._t("state.failed_because_code", {
          description: reason,
          code: message.status_code,
        });
      } else if (reason) {
        text = this._t("state.failed_because", { description: reason });
      } else {
        text = this._t("state.failed");
      }
    } else {
      path = ICONS.block;
      kind = "blocked";
      const known = ["opted_out", "blocked_opted_out", "blocked_flood_guard"].includes(state);
      text = known ? this._t(`state.${state}`) : this._t("state.blocked");
    }
    return h(
      "span",
      { class: `state ${kind}`, "data-testid": "state", dataset: { state } },
      icon(path, "small"),
      text,
    );
  }

  _pictureElement(media, outbound) {
    const contentId = media.media_content_id;
    if (!contentId) {
      // Received: not downloaded (option off, too large, failed). Sent: no copy is kept.
      const name = media.file_name || media.mime_type || "";
      const key = outbound ? "thread.picture_sent" : "thread.picture_missing";
      return h(
        "span",
        { class: "picture-missing", "data-testid": "picture-missing" },
        icon(ICONS.image),
        h("span", {}, name ? this._t(`${key}_named`, { name }) : this._t(key)),
      );
    }
    // Signed links expire: a picture is resolved once per open thread and its element kept.
    const known = this._pictures.get(contentId);
    if (known) {
      return known;
    }
    if (this._pictures.size >= MAX_PICTURES) {
      this._pictures.delete(this._pictures.keys().next().value);
    }
    const img = h("img", {
      class: "picture",
      alt: media.file_name || this._t("thread.picture"),
      "data-testid": "picture",
      onclick: () => this._view(img),
      onload: () => {
        if (this._nearBottom() || img.dataset.stick === "1") {
          this._scrollToBottom();
        }
      },
    });
    img.dataset.stick = this._nearBottom() ? "1" : "0";
    this._pictures.set(contentId, img);
    this._hass
      .callWS({ type: "media_source/resolve_media", media_content_id: contentId })
      .then((resolved) => {
        img.src = this._url(resolved.url);
      })
      .catch(() => {
        const missing = h(
          "span",
          { class: "picture-missing", "data-testid": "picture-missing" },
          icon(ICONS.image),
          h("span", {}, this._t("thread.picture_unavailable")),
        );
        this._pictures.set(contentId, missing);
        img.replaceWith(missing);
      });
    return img;
  }

  _buildCompose() {
    this._optedOutNote = h("div", { class: "note warning", "data-testid": "opted-out-note" });
    this._attachmentSlot = h("div", { hidden: true });
    this._attachButton = iconButton(
      ICONS.attach,
      "",
      () => {
        this._menuOpen = !this._menuOpen;
        this._renderCompose();
      },
      { "data-testid": "attach" },
    );
    this._menuSlot = h("div", { hidden: true });
    this._sendButton = iconButton(ICONS.send, "", () => this._send(), {
      class: "icon-button send",
      "data-testid": "send",
    });
    this._composeInfo = h("div", { class: "compose-info", "data-testid": "compose-info" });
    this._menuAnchor = h("div", { class: "menu-anchor" }, this._attachButton, this._menuSlot);
    this._compose.replaceChildren(
      this._optedOutNote,
      h(
        "div",
        { class: "compose-row" },
        this._menuAnchor,
        h("div", { class: "field" }, this._attachmentSlot, this._textarea),
        this._sendButton,
      ),
      this._composeInfo,
    );
  }

  // Updated in place: the text box keeps its focus and what is being typed.
  _renderCompose() {
    if (!this._compose || !this._selected || this._newOpen || !this._strings) {
      return;
    }
    this._textarea.placeholder = this._t("compose.placeholder");
    this._textarea.setAttribute("aria-label", this._t("compose.placeholder"));
    this._attachButton.title = this._t("compose.attach");
    this._attachButton.setAttribute("aria-label", this._t("compose.attach"));
    this._attachButton.setAttribute("aria-expanded", this._menuOpen ? "true" : "false");
    this._sendButton.setAttribute("aria-label", this._t("compose.send"));
    this._optedOutNote.hidden = !this._threadOptedOut;
    if (this._threadOptedOut) {
      this._optedOutNote.replaceChildren(icon(ICONS.block), h("span", {}, this._optedOutText()));
    } else {
      this._refused = false;
    }
    this._optedOutNote.classList.toggle("refused", this._refused);
    if (this._refused) {
      this._optedOutNote.setAttribute("role", "alert");
      this._optedOutNote.dataset.refused = "";
    } else {
      this._optedOutNote.removeAttribute("role");
      delete this._optedOutNote.dataset.refused;
    }
    const attachment = this._attachment;
    this._attachmentSlot.hidden = !attachment;
    if (attachment) {
      const camera = attachment.media_content_id.startsWith("media-source://camera/");
      const thumb = attachment.thumbnail
        ? h("img", { src: attachment.thumbnail, alt: "" })
        : h("span", { class: "thumb" }, icon(camera ? ICONS.camera : ICONS.image));
      this._attachmentSlot.replaceChildren(
        h(
          "div",
          { class: "attachment", "data-testid": "attachment" },
          thumb,
          h("span", {}, attachment.label),
          iconButton(ICONS.close, this._t("compose.remove_picture"), () => {
            this._attachment = null;
            this._renderCompose();
          }),
        ),
      );
    } else {
      this._attachmentSlot.replaceChildren();
    }
    this._menuSlot.hidden = !this._menuOpen;
    this._menuSlot.replaceChildren(...(this._menuOpen ? [this._attachMenu()] : []));
    this._renderSendButton();
    this._renderComposeInfo();
    this._fitTextarea();
  }

  _renderSendButton() {
    if (!this._sendButton) {
      return;
    }
    const empty = !this._textarea.value.trim() && !this._attachment;
    this._sendButton.disabled = this._sending || this._threadOptedOut || empty;
    this._sendButton.title = this._threadOptedOut
      ? this._t("list.stop_title")
      : this._t("compose.send");
  }

  _renderComposeInfo() {
    if (!this._composeInfo) {
      return;
    }
    const parts = [];
    if (this._composeError) {
      parts.push(
        h(
          "span",
          { class: "error", "data-testid": "compose-error", role: "alert" },
          this._composeError,
        ),
      );
    } else if (this._sending) {
      parts.push(h("span", {}, this._t("compose.sending")));
    } else if (this._attachment) {
      parts.push(h("span", { "data-testid": "segments" }, this._t("compose.mms")));
    } else if (this._segments && this._textarea.value) {
      const count = this._segments;
      const encoding = count.ucs2_character
        ? this._t("compose.ucs2_because", {
            encoding: count.encoding,
            character: count.ucs2_character,
          })
        : count.encoding;
      parts.push(
        h(
          "span",
          {
            "data-testid": "segments",
            dataset: { segments: String(count.segments), encoding: count.encoding },
          },
          [
            this._plural("compose.characters", count.characters),
            this._plural("compose.segments", count.segments),
            encoding,
          ].join(" · "),
        ),
      );
    }
    this._composeInfo.replaceChildren(...parts);
  }

  _fitTextarea() {
    const area = this._textarea;
    if (!area || !area.isConnected) {
      return;
    }
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight, 140)}px`;
  }

  _cameras() {
    return Object.values(this._hass.states)
      .filter((state) => state.entity_id.startsWith("camera.") && state.state !== "unavailable")
      .map((state) => ({
        entityId: state.entity_id,
        name: state.attributes.friendly_name || state.entity_id,
      }))
      .sort((a, b) => a.name.localeCompare(b.name, this._locale()));
  }

  _attachMenu() {
    const cameras = this._cameras();
    const items = [];
    if (cameras.length) {
      items.push(h("div", { class: "menu-label" }, this._t("compose.camera")));
      for (const camera of cameras) {
        items.push(
          h(
            "button",
            {
              class: "menu-item",
              type: "button",
              dataset: { testid: "attach-camera", entity: camera.entityId },
              onclick: () => this._attachCamera(camera.entityId),
            },
            icon(ICONS.camera),
            camera.name,
          ),
        );
      }
    }
    items.push(
      h(
        "button",
        {
          class: "menu-item",
          type: "button",
          "data-testid": "attach-media",
          onclick: () => {
            this._menuOpen = false;
            this._renderCompose();
            this._browse("");
          },
        },
        icon(ICONS.folder),
        this._t("compose.media_browser"),
      ),
    );
    return h("div", { class: "menu", role: "menu" }, items);
  }

  _closeOverlays() {
    if (this._overlay) {
      this._overlay.hidden = true;
      this._overlay.className = "";
      this._overlay.replaceChildren();
    }
    if (this._menuOpen) {
      this._menuOpen = false;
      this._renderCompose();
    }
  }

  _showOverlay(kind, content) {
    this._overlay.className = `overlay ${kind}`;
    this._overlay.hidden = false;
    this._overlay.replaceChildren(content);
    this._overlay.onclick = (event) => {
      if (event.target === this._overlay) {
        this._closeOverlays();
      }
    };
  }

  _view(img) {
    if (!img.src) {
      return;
    }
    this._showOverlay(
      "viewer",
      h(
        "div",
        {},
        h("img", { src: img.src, alt: img.alt }),
        iconButton(ICONS.close, this._t("common.close"), () => this._closeOverlays()),
      ),
    );
  }

  async _browse(contentId, trail = []) {
    const grid = h(
      "div",
      { class: "grid" },
      h("div", { class: "loading" }, this._t("common.loading")),
    );
    const back = trail.length
      ? iconButton(ICONS.back, this._t("common.back"), () =>
          this._browse(trail.at(-1).id, trail.slice(0, -1)),
        )
      : null;
    const title = h("div", { class: "title" }, this._t("compose.media_browser"));
    const dialog = h(
      "div",
      { class: "dialog", role: "dialog", "aria-modal": "true", "data-testid": "media-browser" },
      h(
        "header",
        {},
        back,
        title,
        iconButton(ICONS.close, this._t("common.close"), () => this._closeOverlays()),
      ),
      grid,
    );
    this._showOverlay("browser", dialog);
    let node;
    try {
      node = await this._hass.callWS({
        type: "media_source/browse_media",
        media_content_id: contentId,
      });
    } catch (error) {
      grid.replaceChildren(h("div", { class: "error-text" }, this._errorText(error)));
      return;
    }
    if (trail.length) {
      title.textContent = node.title;
    }
    const children = node.children ?? [];
    const tiles = children
      .filter(
        (item) =>
          item.can_expand ||
          String(item.media_content_type).startsWith("image/") ||
          item.media_class === "image",
      )
      .map((item) => {
        const pickable =
          !item.can_expand &&
          PICKABLE_SOURCES.some((prefix) => item.media_content_id.startsWith(prefix)) &&
          (String(item.media_content_type).startsWith("image/") || item.media_class === "image");
        const thumb = h(
          "span",
          { class: "thumb" },
          icon(item.can_expand ? ICONS.folder : ICONS.image),
        );
        this._thumbnail(item, thumb);
        return h(
          "button",
          {
            class: "tile",
            type: "button",
            disabled: !item.can_expand && !pickable,
            title: item.title,
            dataset: { testid: "media-item", contentId: item.media_content_id },
            onclick: () =>
              item.can_expand
                ? this._browse(item.media_content_id, [...trail, { id: contentId }])
                : this._attachMedia(item),
          },
          thumb,
          h("span", { class: "label" }, item.title),
        );
      });
    grid.replaceChildren(
      ...(tiles.length ? tiles : [h("div", { class: "loading" }, this._t("compose.no_items"))]),
    );
  }

  async _thumbnail(item, thumb) {
    const path = item.thumbnail;
    if (!path) {
      return;
    }
    let url = path;
    if (path.startsWith("/")) {
      // Home Assistant's own paths need a signature in an <img>.
      try {
        url = this._url(
          (await this._hass.callWS({ type: "auth/sign_path", path, expires: 60 })).path,
        );
      } catch {
        return;
      }
    } else if (!path.startsWith(location.origin)) {
      return; // no fetches beyond this Home Assistant
    }
    const fallback = [...thumb.childNodes];
    const img = h("img", {
      src: url,
      alt: "",
      loading: "lazy",
      onerror: () => thumb.replaceChildren(...fallback),
    });
    thumb.replaceChildren(img);
  }

  _newForm() {
    const options = this._numbers.map((item) =>
      h(
        "option",
        { value: JSON.stringify([item.config_entry_id, item.did]) },
        item.name && item.name !== formatNumber(item.did)
          ? `${formatNumber(item.did)} (${item.name})`
          : formatNumber(item.did),
      ),
    );
    const form = h(
      "form",
      {
        class: "new-form",
        "data-testid": "new-form",
        onsubmit: (event) => {
          event.preventDefault();
          this._startNew(form);
        },
      },
      h("h2", {}, this._t("new.title")),
      h(
        "label",
        {},
        this._t("new.number"),
        h("input", {
          type: "tel",
          required: true,
          autocomplete: "tel",
          maxlength: "64",
          "data-testid": "new-number",
          placeholder: "+1 206 555 0100",
        }),
      ),
      h(
        "label",
        { hidden: options.length < 2 },
        this._t("new.from"),
        h("select", { "data-testid": "new-from" }, options),
      ),
      this._newError ? h("div", { class: "error-text", role: "alert" }, this._newError) : null,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { class: "text-button", type: "button", onclick: () => this._back() },
          this._t("common.cancel"),
        ),
        h(
          "button",
          {
            class: "filled-button",
            type: "submit",
            disabled: !options.length,
            "data-testid": "new-start",
          },
          this._t("new.start"),
        ),
      ),
    );
    return form;
  }
}

if (!customElements.get("flowroute-texts-panel")) {
  customElements.define("flowroute-texts-panel", FlowrouteTextsPanel);
}
