// motovault front door: requests whose path, query string or headers are not valid UTF-8 get a
// 400 with a PostgREST-shaped JSON body here, before PostgREST 12.0.2 would answer a plain-text 500
// (its Haskell UTF-8 decoder fails before any SQL runs). Loaded by nginx's njs module (Debian 12:
// libnginx-mod-http-js 0.7.9); `js_set $frontdoor_malformed checks.malformed` calls it once per request.

var strict = new TextDecoder('utf-8', { fatal: true });

function hex(c) {
    if (c >= 0x30 && c <= 0x39) { return c - 0x30; }
    if (c >= 0x41 && c <= 0x46) { return c - 0x37; }
    if (c >= 0x61 && c <= 0x66) { return c - 0x57; }
    return -1;
}

// The bytes a server sees after percent-decoding (a '%' not followed by two hex digits stays as it is).
function percentDecoded(bytes, from, to) {
    var out = new Uint8Array(to - from);
    var n = 0;
    for (var i = from; i < to; i++) {
        var c = bytes[i];
        if (c === 0x25 && i + 2 < to && hex(bytes[i + 1]) >= 0 && hex(bytes[i + 2]) >= 0) {
            c = hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]);
            i += 2;
        }
        out[n++] = c;
    }
    return out.subarray(0, n);
}

function validUtf8(bytes) {
    try {
        strict.decode(bytes);
        return true;
    } catch (e) {
        return false;
    }
}

function problem(message, details, hint) {
    return JSON.stringify({ code: 'FD400', message: message, details: details, hint: hint });
}

var PERCENT_HINT = 'Send text as UTF-8 and percent-encode each of its bytes (RFC 3986), e.g. é as %C3%A9.';

// a target that needs decoding: a percent-escape of a byte above 0x7f, or a raw byte above 0x7e
var NEEDS_DECODING = /%[89a-fA-F]|[^\x00-\x7e]/;

function checkTarget(r) {
    if (!NEEDS_DECODING.test(r.variables.request_uri)) { return ''; }
    var uri = r.rawVariables.request_uri;
    var q = uri.indexOf(0x3f);  // '?'
    var end = q < 0 ? uri.length : q;
    if (!validUtf8(percentDecoded(uri, 0, end))) {
        return problem('path: not valid UTF-8 after percent-decoding',
                       'The request path must decode to UTF-8 text; it has a byte sequence that is not UTF-8.',
                       PERCENT_HINT);
    }
    if (q >= 0 && !validUtf8(percentDecoded(uri, q + 1, uri.length))) {
        return problem('query string: not valid UTF-8 after percent-decoding',
                       'Every name and value of the query string must decode to UTF-8 text; this one has a byte sequence that is not UTF-8.',
                       PERCENT_HINT);
    }
    return '';
}

// any byte above 0x7e (njs 0.7 header values are byte strings: one char per byte)
var NOT_ASCII = /[^\x00-\x7e]/;

function headerValid(r, name, value, once) {
    if (!NOT_ASCII.test(value)) { return true; }
    if (once || typeof value.fromUTF8 !== 'function') {
        // the raw bytes of the (first) header of this name
        var raw = r.rawVariables['http_' + name.toLowerCase().replace(/-/g, '_')];
        if (!raw || validUtf8(raw)) {
            return once || typeof value.fromUTF8 !== 'function';
        }
        return false;
    }
    return value.fromUTF8() !== null;   // njs < 0.8, a repeated header: its value is a byte string
}

function checkHeaders(r) {
    var headers = r.rawHeadersIn;
    var seen = {};
    for (var i = 0; i < headers.length; i++) {
        var key = headers[i][0].toLowerCase();
        seen[key] = (seen[key] || 0) + 1;
    }
    for (var j = 0; j < headers.length; j++) {
        var name = headers[j][0];
        if (!headerValid(r, name, headers[j][1], seen[name.toLowerCase()] === 1)) {
            return problem('header ' + name + ': not valid UTF-8',
                           'Request header values must be UTF-8 text (ASCII is best); the value of ' + name
                           + ' has a byte sequence that is not UTF-8.',
                           'Send header values as UTF-8, or encode them (percent-encoding or base64) before sending.');
        }
    }
    return '';
}

// '' when the request is well-formed; otherwise the JSON body of the 400.
function malformed(r) {
    return checkTarget(r) || checkHeaders(r);
}

// CSV and form bodies (POST, PATCH, PUT): refused with a 400 when they are not UTF-8 (a form body
// after percent-decoding); otherwise sent on to PostgREST as they are, and its answer handed back.
var HOP_BY_HOP = { 'connection': 1, 'keep-alive': 1, 'transfer-encoding': 1, 'content-length': 1 };

async function textBody(r) {
    var body = r.requestBuffer || Buffer.alloc(0);
    var form = /^\s*application\/x-www-form-urlencoded/i.test(r.headersIn['Content-Type'] || '');
    if (!validUtf8(form ? percentDecoded(body, 0, body.length) : body)) {
        r.headersOut['Content-Type'] = 'application/json';
        r.return(400, problem('body: not valid UTF-8' + (form ? ' after percent-decoding' : ''),
                              'A ' + (form ? 'form' : 'CSV') + ' body must be UTF-8 text; this one has a byte sequence that is not UTF-8.',
                              'Send the body as UTF-8' + (form ? ', percent-encoding each byte of every value.' : '.')));
        return;
    }
    var reply = await r.subrequest('/_frontdoor/upstream' + r.variables.frontdoor_path,
                                   { method: r.method, args: r.variables.args || '', body: r.requestText || '' });
    for (var name in reply.headersOut) {
        if (!HOP_BY_HOP[name.toLowerCase()]) { r.headersOut[name] = reply.headersOut[name]; }
    }
    r.return(reply.status, reply.responseText || '');
}

export default { malformed, textBody };
