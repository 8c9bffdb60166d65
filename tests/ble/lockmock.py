"""lockrig's GATT lock model, run inside python-dbusmock's `bluez5` template.

The bluez5 template models adapters and devices but no GATT, and its Device1.Connect stores
neither Connected nor ServicesResolved. The test harness (bluez_mock.cpp) installs one-line control methods
on the mock's root object (org.freedesktop.DBus.Mock.AddMethods, interface org.lockrig.LockMock)
that import this module inside the mock's own process, so the model works on the template's
Python objects directly: it adds the lock's GATT objects with AddObject/AddMethods when a
connection resolves, announces them with EmitSignal(InterfacesAdded), replaces Connect and
Disconnect, and answers unlock commands with a status notification sent from a GLib timeout after
WriteValue has returned, as BlueZ does.

The lock's wire protocol (test-only): command 01 <seq> 55; status 81 <seq> <code>, code 00 =
unlocked, 01 = refused. Service fff0, command fff1, status fff2; Device Information 180a.

Knobs (per lock, see DEFAULT_KNOBS) inject the failures the driver must attribute.
"""

import time

import dbus
import dbus.exceptions
import dbus.service
from gi.repository import GLib

import dbusmock.templates.bluez5 as bluez5
from dbusmock import mockobject

ADAPTER = 'org.bluez.Adapter1'
DEVICE = 'org.bluez.Device1'
SERVICE = 'org.bluez.GattService1'
CHAR = 'org.bluez.GattCharacteristic1'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
PROPERTIES = 'org.freedesktop.DBus.Properties'


def uuid16(short):
    return f'0000{short}-0000-1000-8000-00805f9b34fb'


LOCK_SERVICE, COMMAND, STATUS = uuid16('fff0'), uuid16('fff1'), uuid16('fff2')
DIS, FIRMWARE, MODEL, MANUFACTURER = uuid16('180a'), uuid16('2a26'), uuid16('2a24'), uuid16('2a29')

DEFAULT_KNOBS = {
    'present': True,              # the device object exists from the start (a cached device)
    'rssi': -61,
    'advertise_service': True,    # the lock service UUID is in its advertisement
    'discover_delay_ms': 20,      # advertisement seen this long after StartDiscovery
    'connect_delay_ms': 0,        # Connect blocks this long (blocks the whole mock, like a busy daemon)
    'resolve_delay_ms': 5,        # ServicesResolved this long after Connect
    'never_resolve': False,
    'connect_error': '',          # 'org.bluez.Error.Failed: le-connection-abort-by-local'
    'connect_error_count': 0,     # how many Connect calls fail with connect_error
    'stuck_in_progress': False,   # Connect answers InProgress until the device is removed
    'stuck_from_connect': 0,      # n > 0: stuck_in_progress starts at the n-th Connect call
    'always_in_progress': False,  # ... even after that
    'notify_error': '',
    'write_error': '',            # 'org.bluez.Error.NotAuthorized: ...'
    'reply': 'success',           # success | reject | none | garbage | stale_then_success
    'reply_delay_ms': 0.0,
    'disconnect_on_write': False,  # the link drops right after the command arrives
    'dis': True,
    'firmware': '2.4.1',
    'model': 'LR-100',
    'manufacturer': 'Lockrig Test Locks',
    # ---- strict mode (issue 12, item 6): follow BlueZ 5.66, not the driver -------------------
    # strict: Connect replies before Connected=true is signalled (src/device.c:5402-5408 sends the
    # reply, the property change is coalesced after it by gdbus/object.c); GATT objects survive a
    # disconnect (Cache=always, src/main.conf; src/device.c) and StartNotify is re-armed; a
    # Disconnect takes DISCONNECT_TIMER = 2 s (src/device.c:68,1785); a write that dies with the
    # link is answered 'Failed: Operation failed with ATT error: 0x0e' before Connected=false
    # (src/shared/att.c:1864, src/gatt-client.c:290-292); RSSI appears only from adverts of a
    # running discovery; connect errors must be strings BlueZ sends (src/error.h:49-66).
    'strict': False,
    'disconnect_delay_ms': 2000,  # strict only
    # strict, with connect_error le-connection-abort-by-local: the half-open link shows
    # Connected=true before the error and Connected=false this long after it
    'abort_teardown_ms': 300,
    'bonded': False,              # Paired/Bonded of the device; GATT answers 'Not paired' if
    'requires_bond': False,       # requires_bond and not bonded (src/gatt-client.c:276-279)
    # ServicesResolved=true this long before the GATT objects are exported (bluez#1489; BlueZ
    # also sets it when discovery failed): 0 = objects first, as normally
    'resolved_early_ms': 0,
    # The firmware's attribute table (issue 12, item 1): 'a' = lock service at 0x0010, Device
    # Information at 0x0020; 'b' = the other way round (a build that moved its services). Reads
    # and writes go to the handle a (possibly cached) object names and are answered by whatever
    # the running firmware has there, as an ATT server does. flash() changes it.
    'gatt_layout': 'a',
    'lock_service': True,         # the firmware has the lock service at all
    # ATT MTU of the link (BT_ATT_DEFAULT_LE_MTU = 23 when neither side asks for more); strict
    # mode exports it as GattCharacteristic1.MTU (BlueZ >= 5.62) and honours it in WriteValue.
    'mtu': 23,
    # strict: the lock never sends the ATT Write Response to a write request. BlueZ keeps the
    # request pending (chrc->write_op): a second WriteValue on the characteristic is answered
    # InProgress (src/gatt-client.c:1013-1014 in 5.66); after ATT_TIMEOUT_INTERVAL = 30 s the
    # request fails and BlueZ shuts the link down (src/shared/att.c:32,473-508).
    'unanswered_write': False,
    'att_timeout_ms': 30000,
    # The error Device1.Connect answers while the device is stuck (stuck_in_progress, ...):
    # BlueZ sends InProgress when a Connect is already pending (src/device.c), and
    # 'Failed: Operation already in progress' (strerror(EALREADY)) when an LE connection attempt
    # is already going on (device_connect_le, src/device.c:5422-5424 -> 2341-2343 in 5.66).
    'stuck_error': 'org.bluez.Error.InProgress: Operation already in progress',
    # strict: the passkey the lock displays for pairing (passkey entry, the rig types it), -1 =
    # the lock cannot pair. Device1.Pair asks the caller's agent, else the default agent
    # (agent_get, src/agent.c:247-261), for RequestPasskey (doc/agent-api.txt); a wrong passkey
    # fails SMP: 'AuthenticationFailed: Authentication Failed' (new_authentication_return,
    # src/device.c:2872-2906 in 5.66); an agent that cannot type (capability not KeyboardOnly /
    # KeyboardDisplay) or none at all cannot enter it: the same failure.
    'passkey': -1,
}

# The Failed messages Device1.Connect sends in BlueZ >= 5.62 (src/error.h:49-66), plus the error
# names of src/error.c; strict mode refuses any other connect_error.
BLUEZ_CONNECT_FAILURES = {
    'le-connection-invalid-arguments', 'le-connection-adapter-not-powered',
    'le-connection-not-supported', 'le-connection-already-connected', 'le-connection-bad-socket',
    'le-connection-memory-allocation', 'le-connection-busy', 'le-connection-refused',
    'le-connection-create-socket', 'le-connection-timeout',
    'le-connection-concurrent-connection-limit', 'le-connection-abort-by-remote',
    'le-connection-abort-by-local', 'le-connection-link-layer-protocol-error',
    'le-connection-gatt-browsing', 'le-connection-unknown',
}


RSSI_THRESHOLD = 8  # src/device.c:76 in 5.66


def _py(value):
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, str)):
        return str(value)
    if isinstance(value, (dbus.Double, float)):
        return float(value)
    if isinstance(value, (dbus.Array, list)):
        return [_py(v) for v in value]
    return int(value)


def _error(spec):
    name, _, message = spec.partition(':')
    return dbus.exceptions.DBusException(message.strip(), name=name.strip())


def _later(delay_ms, fn):
    def once():
        fn()
        return False
    if delay_ms <= 0:
        GLib.idle_add(once)
    else:
        GLib.timeout_add(int(round(delay_ms)), once)


class Lock:
    def __init__(self, adapter, address, name, knobs):
        self.adapter = adapter
        self.address = address
        self.name = name
        self.knobs = dict(DEFAULT_KNOBS)
        self.knobs.update(knobs)
        self.path = f'/org/bluez/{adapter}/dev_' + address.replace(':', '_').upper()
        self.in_range = True
        self.present = False
        self.connected = False
        self.notifying = False
        self.gatt = []  # (path, interface) in creation order
        self.stuck = self.knobs['stuck_in_progress']
        self.connect_errors_left = self.knobs['connect_error_count']
        self.stats = {k: 0 for k in ('connect', 'disconnect', 'remove', 'start_notify', 'write', 'read',
                                     'last_reply_delay_us', 'connect_while_closing',
                                     'connect_in_flight_max', 'flash', 'write_request',
                                     'write_command', 'write_reliable', 'long_write',
                                     'write_in_progress', 'att_timeout', 'rssi_suppressed',
                                     'pair', 'passkey_requests', 'trusted')}
        self.closing = False  # strict: Connected=true still shown for a link that is going away
        self.pending_writes = {}  # strict: char path -> (reply, error) of an unanswered request
        self.write_at = 0.0

    def set_knobs(self, knobs):
        _check_strict(dict(self.knobs, **knobs))
        self.knobs.update(knobs)
        device = mockobject.objects.get(self.path)
        if 'bonded' in knobs and self.present and device is not None:
            device.UpdateProperties(DEVICE, {
                'Paired': dbus.Boolean(knobs['bonded'], variant_level=1),
                'Bonded': dbus.Boolean(knobs['bonded'], variant_level=1)})
        if 'stuck_in_progress' in knobs:
            self.stuck = knobs['stuck_in_progress']
        if 'connect_error_count' in knobs:
            self.connect_errors_left = knobs['connect_error_count']


def _check_strict(knobs):
    if not knobs.get('strict') or not knobs.get('connect_error'):
        return
    name, _, message = knobs['connect_error'].partition(':')
    if name.strip() == 'org.bluez.Error.Failed' and message.strip() not in BLUEZ_CONNECT_FAILURES:
        raise ValueError(f'strict mock: BlueZ never answers Connect with {knobs["connect_error"]!r}')


def _root():
    return mockobject.objects['/']


def _locks():
    root = _root()
    if not hasattr(root, 'lockrig_locks'):
        root.lockrig_locks = {}
    return root.lockrig_locks


def _lock_at(path):
    for lock in _locks().values():
        if lock.path == path:
            return lock
    return None


# ---- GATT objects -----------------------------------------------------------------------------

def _add_object(lock, path, iface, props, methods):
    root = _root()
    root.AddObject(path, iface, props, methods)
    mockobject.objects[path].lockrig_lock = lock
    root.EmitSignal(OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}',
                    [dbus.ObjectPath(path), {iface: props}])
    lock.gatt.append((path, iface))


def _service(lock, path, uuid):
    _add_object(lock, path, SERVICE, {
        'UUID': dbus.String(uuid, variant_level=1),
        'Primary': dbus.Boolean(True, variant_level=1),
        'Device': dbus.ObjectPath(lock.path, variant_level=1),
        'Includes': dbus.Array([], signature='o', variant_level=1),
    }, [])


def _characteristic(lock, path, service_path, uuid, flags, handle):
    props = {
        'UUID': dbus.String(uuid, variant_level=1),
        'Service': dbus.ObjectPath(service_path, variant_level=1),
        'Value': dbus.Array([], signature='y', variant_level=1),
        'Notifying': dbus.Boolean(False, variant_level=1),
        'Flags': dbus.Array(flags, signature='s', variant_level=1),
    }
    if lock.knobs['strict']:
        props['MTU'] = dbus.UInt16(lock.knobs['mtu'], variant_level=1)
    _add_object(lock, path, CHAR, props, [
        ('ReadValue', 'a{sv}', 'ay', _read_value),
        ('WriteValue', 'aya{sv}', '', _write_value),
        ('StartNotify', '', '', _start_notify),
        ('StopNotify', '', '', _stop_notify),
    ])
    mockobject.objects[path].lockrig_handle = handle
    mockobject.objects[path].lockrig_uuid = uuid
    # WriteValue answers when the lock's ATT response comes, which may be never (strict,
    # unanswered_write): dbus-python's asynchronous form lets the reply wait.
    mockobject.objects[path].methods[CHAR]['WriteValue'] = ('aya{sv}', '', '', _write_value_async)


_PENDING = object()


@dbus.service.method(CHAR, in_signature='aya{sv}', out_signature='',
                     async_callbacks=('reply', 'error'))
def _write_value_async(char, value, options, reply=None, error=None):
    try:
        result = _write_value(char, value, options)
    except dbus.exceptions.DBusException as e:
        error(e)
        return
    if result is not _PENDING:
        reply()
        return
    lock = char.lockrig_lock
    lock.pending_writes[char.path] = (reply, error)

    def att_timeout():
        # ATT_TIMEOUT_INTERVAL passed without a response: the request fails and BlueZ shuts the
        # link down as the ATT protocol requires (timeout_cb, src/shared/att.c:473-508).
        if lock.pending_writes.get(char.path, (None,))[0] is reply:
            lock.stats['att_timeout'] += 1
            _drop_link(lock)
    _later(lock.knobs['att_timeout_ms'], att_timeout)


# Where each build puts its services: (service handle, which). 'c' is a build that put a vendor
# OTA service (Nordic's DFU, 0xfe59) in front: the lock service moved, Device Information stayed.
LAYOUTS = {
    'a': [(0x10, 'lock'), (0x20, 'dis')],
    'b': [(0x10, 'dis'), (0x20, 'lock')],
    'c': [(0x10, 'ota'), (0x20, 'dis'), (0x30, 'lock')],
}
OTA = uuid16('fe59')
OTA_CONTROL, OTA_STATUS = '8ec90001-f315-4f60-9fb8-838830daea50', '8ec90003-f315-4f60-9fb8-838830daea50'


def _table(lock):
    """The running firmware's attribute table: [(service handle, service uuid, [(value handle,
    uuid, flags, value)])]. Handles follow the layout; values are the firmware's own."""
    k = lock.knobs
    services = {
        'lock': (LOCK_SERVICE, [(COMMAND, ['write', 'write-without-response'], b''),
                                (STATUS, ['read', 'notify'], b'')]) if k['lock_service'] else None,
        'dis': (DIS, [(FIRMWARE, ['read'], k['firmware'].encode()), (MODEL, ['read'], k['model'].encode()),
                      (MANUFACTURER, ['read'], k['manufacturer'].encode())]) if k['dis'] else None,
        'ota': (OTA, [(OTA_CONTROL, ['write', 'notify'], b''), (OTA_STATUS, ['read', 'notify'], b'')]),
    }
    table = []
    for base, which in LAYOUTS[k['gatt_layout']]:
        if services[which] is None:
            continue
        uuid, chars = services[which]
        table.append((base, uuid, [(base + 1 + 2 * j, cu, fl, v) for j, (cu, fl, v) in enumerate(chars)]))
    return table


def _attribute(lock, handle):
    """What the running firmware has at `handle`: (uuid, flags, value), or None."""
    for _base, _uuid, chars in _table(lock):
        for h, uuid, flags, value in chars:
            if h == handle:
                return uuid, flags, value
    return None


def _resolve(lock):
    if not lock.connected:
        return
    if lock.gatt:
        # strict: the cached GATT tree was kept (Cache=always, src/device.c:648-668 in 5.66:
        # gatt_cache_cleanup clears nothing while gatt_cache_is_enabled); BlueZ does not browse
        # again unless the lock has a Database Hash or sends Service Changed, which the mock
        # lock (like many cheap locks) has neither of. Resolving only sets the flag.
        mockobject.objects[lock.path].UpdateProperties(DEVICE, {
            'ServicesResolved': dbus.Boolean(True, variant_level=1)})
        return
    if lock.knobs['resolved_early_ms'] > 0 and not getattr(lock, 'resolved_early_done', False):
        lock.resolved_early_done = True
        mockobject.objects[lock.path].UpdateProperties(DEVICE, {
            'ServicesResolved': dbus.Boolean(True, variant_level=1)})
        _later(lock.knobs['resolved_early_ms'], lambda: _resolve(lock))
        return
    for base, uuid, chars in _table(lock):
        service = lock.path + f'/service{base:04x}'
        _service(lock, service, uuid)
        for h, cu, flags, _value in chars:
            _characteristic(lock, service + f'/char{h:04x}', service, cu, flags, h)
    mockobject.objects[lock.path].UpdateProperties(DEVICE, {
        'ServicesResolved': dbus.Boolean(True, variant_level=1)})


def _remove_gatt(lock):
    root = _root()
    for path, iface in reversed(lock.gatt):
        if path in mockobject.objects:
            root.RemoveObject(path)
            root.EmitSignal(OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [dbus.ObjectPath(path), [iface]])
    lock.gatt = []


def _drop_link(lock):
    """The link goes down (lock side or Disconnect): BlueZ's order of events."""
    if not lock.connected:
        return
    # A request still waiting for its ATT response dies with the link, answered before
    # Connected=false (disc_att_send_op, src/shared/att.c:1864; src/gatt-client.c:290-292).
    for _path, (_reply, error) in list(lock.pending_writes.items()):
        error(_att_error(0x0e))
    lock.pending_writes = {}
    lock.connected = False
    _count_connected(lock, -1)
    if not lock.knobs['strict']:
        lock.notifying = False  # strict: BlueZ re-arms the sender's notify session on reconnect
    device = mockobject.objects.get(lock.path)
    if device is not None:
        device.connected = False
        device.UpdateProperties(DEVICE, {
            'ServicesResolved': dbus.Boolean(False, variant_level=1),
            'Connected': dbus.Boolean(False, variant_level=1)})
    if not lock.knobs['strict']:
        _remove_gatt(lock)


# ---- methods that replace or extend the template's ------------------------------------------

def _connect(device):
    lock = _lock_at(device.path)
    lock.stats['connect'] += 1
    if lock.closing:
        lock.stats['connect_while_closing'] += 1
    if lock.stats['connect'] == lock.knobs['stuck_from_connect']:
        lock.stuck = True
    if lock.knobs['always_in_progress'] or lock.stuck:
        raise _error(lock.knobs['stuck_error'])
    if lock.knobs['strict'] and not lock.in_range:
        # Nobody answers the connection request: BlueZ turns the failed LE connect into
        # ECONNABORTED (src/device.c:5353-5370).
        raise dbus.exceptions.DBusException('le-connection-abort-by-local', name='org.bluez.Error.Failed')
    if lock.connect_errors_left > 0 or (lock.closing and lock.knobs['connect_error']):
        lock.connect_errors_left = max(0, lock.connect_errors_left - 1)
        if lock.knobs['strict'] and 'abort-by-local' in lock.knobs['connect_error']:
            _half_open(lock, device)
        raise _error(lock.knobs['connect_error'])
    if lock.connected:
        raise dbus.exceptions.DBusException('Already Connected', name='org.bluez.Error.AlreadyConnected')
    if lock.knobs['connect_delay_ms'] > 0:
        time.sleep(lock.knobs['connect_delay_ms'] / 1000.0)
    lock.connected = True
    device.connected = True
    _count_connected(lock, +1)
    if lock.knobs['strict']:
        # BlueZ sends the Connect reply first; the property change follows from the main loop.
        _later(0, lambda: lock.connected and device.UpdateProperties(
            DEVICE, {'Connected': dbus.Boolean(True, variant_level=1)}))
    else:
        device.UpdateProperties(DEVICE, {'Connected': dbus.Boolean(True, variant_level=1)})
    if not lock.knobs['never_resolve']:
        _later(lock.knobs['resolve_delay_ms'], lambda: _resolve(lock))


def _count_connected(lock, delta):
    adapter = mockobject.objects.get(f'/org/bluez/{lock.adapter}')
    if adapter is None:
        return
    adapter.lockrig_connected = getattr(adapter, 'lockrig_connected', 0) + delta
    adapter.lockrig_max_connected = max(getattr(adapter, 'lockrig_max_connected', 0),
                                        adapter.lockrig_connected)


def _half_open(lock, device):
    """le-connection-abort-by-local as seen on air (BLE_GATT#9: Connected yes, abort, no): the
    controller had the link for a moment; Connected=false follows the error after a teardown."""
    if lock.closing:
        return
    lock.closing = True
    device.UpdateProperties(DEVICE, {'Connected': dbus.Boolean(True, variant_level=1)})

    def closed():
        lock.closing = False
        device.UpdateProperties(DEVICE, {'Connected': dbus.Boolean(False, variant_level=1)})
    _later(lock.knobs['abort_teardown_ms'], closed)


def _disconnect(device):
    lock = _lock_at(device.path)
    lock.stats['disconnect'] += 1
    if not lock.connected:
        raise dbus.exceptions.DBusException('Not Connected', name='org.bluez.Error.NotConnected')
    if lock.knobs['strict']:
        # DISCONNECT_TIMER: the link stays up 2 s after the last user let go (src/device.c:1785)
        lock.closing = True

        def gone():
            lock.closing = False
            _drop_link(lock)
        _later(lock.knobs['disconnect_delay_ms'], gone)
        return
    _drop_link(lock)


def _live(char):
    """What the running firmware has at the handle this (possibly cached) object names."""
    return _attribute(char.lockrig_lock, char.lockrig_handle)


def _att_error(code):
    # ATT errors without a D-Bus name of their own (src/gatt-client.c:290-292 in 5.66)
    return dbus.exceptions.DBusException(f'Operation failed with ATT error: 0x{code:02x}',
                                         name='org.bluez.Error.Failed')


def _read_value(char, _options):
    lock = char.lockrig_lock
    lock.stats['read'] += 1
    if not lock.connected:
        raise dbus.exceptions.DBusException('Not connected', name='org.bluez.Error.Failed')
    live = _live(char)
    if live is None:
        raise _att_error(0x01)  # Invalid Handle
    if 'read' not in live[1]:
        # ATT 0x02 -> NotPermitted "Read not permitted" (src/gatt-client.c:272-273)
        raise dbus.exceptions.DBusException('Read not permitted', name='org.bluez.Error.NotPermitted')
    return dbus.Array([dbus.Byte(b) for b in live[2]], signature='y')


def _notify(lock, payload):
    # The lock notifies on its status handle; BlueZ hands the value to whichever object its
    # (possibly cached) tree has at that handle.
    handle = next((h for _b, _u, chars in _table(lock) for h, u, _f, _v in chars if u == STATUS), None)
    status = next((mockobject.objects[p] for p, iface in lock.gatt
                   if iface == CHAR and p in mockobject.objects
                   and getattr(mockobject.objects[p], 'lockrig_handle', None) == handle), None)
    if status is None or not lock.connected or not lock.notifying:
        return
    value = dbus.Array([dbus.Byte(b) for b in payload], signature='y', variant_level=1)
    status.props[CHAR]['Value'] = value
    # How long the mock really took from receiving the write to sending the notification, so a
    # benchmark can tell the mock's timer lateness from the driver's measurement error.
    lock.stats['last_reply_delay_us'] = int((time.monotonic() - lock.write_at) * 1e6)
    status.EmitSignal(PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [CHAR, {'Value': value}, []])


def _write_procedure(lock, char, value, options):
    """The ATT procedure BlueZ picks for WriteValue (src/gatt-client.c:1026-1086 in 5.66): option
    `type` "reliable" -> reliable long write; "request" (or no type and the declared `write` flag)
    -> write request, a long write past MTU - 3; "command" (or no type and only
    `write-without-response`) -> write command, which BlueZ cannot send past MTU - 3 ("Failed to
    initiate write": encode_pdu, src/shared/att.c:340); any other type -> NotSupported."""
    kind = str(options.get('type', '')) if options else ''
    flags = [str(f) for f in char.props[CHAR]['Flags']]  # the (possibly cached) declaration
    if kind == 'reliable' or (not kind and 'reliable-write' in flags):
        return 'reliable'
    if kind == 'request' or (not kind and 'write' in flags):
        return 'request'
    if (kind and kind != 'command') or (not kind and 'write-without-response' not in flags):
        raise dbus.exceptions.DBusException('Operation is not supported',
                                            name='org.bluez.Error.NotSupported')
    if len(value) > lock.knobs['mtu'] - 3:
        raise dbus.exceptions.DBusException('Failed to initiate write', name='org.bluez.Error.Failed')
    return 'command'


def _write_value(char, value, options):
    lock = char.lockrig_lock
    lock.write_at = time.monotonic()
    lock.stats['write'] += 1
    if not lock.connected:
        raise dbus.exceptions.DBusException('Not connected', name='org.bluez.Error.Failed')
    if lock.knobs['strict'] and char.path in lock.pending_writes:
        # An earlier request on this characteristic still waits for its response
        # (chrc->write_op, src/gatt-client.c:1013-1014 in 5.66; btd_error_in_progress,
        # src/error.c:65-69): nothing is sent.
        lock.stats['write_in_progress'] += 1
        raise dbus.exceptions.DBusException('In Progress', name='org.bluez.Error.InProgress')
    procedure = _write_procedure(lock, char, value, options) if lock.knobs['strict'] else 'request'
    lock.stats['write_' + procedure] += 1
    if procedure != 'command' and len(value) > lock.knobs['mtu'] - 3:
        lock.stats['long_write'] += 1
    live = _live(char)
    if procedure == 'command':
        # A write command has no response (Core 5.3 Vol 3 Part F 3.4.5.3): BlueZ answers at once,
        # and whatever the lock thinks of it (wrong handle, no bond, its own error) stays silent.
        if (live is None or 'write-without-response' not in live[1] or lock.knobs['write_error']
                or (lock.knobs['requires_bond'] and not lock.knobs['bonded'])):
            return
        if lock.knobs['disconnect_on_write']:
            _later(1, lambda: _drop_link(lock))
            return
    if live is None:
        raise _att_error(0x01)  # Invalid Handle
    if 'write' not in live[1] and procedure != 'command':
        # ATT 0x03 -> NotPermitted "Write not permitted" (src/gatt-client.c:274-275)
        raise dbus.exceptions.DBusException('Write not permitted', name='org.bluez.Error.NotPermitted')
    if lock.knobs['requires_bond'] and not lock.knobs['bonded']:
        raise dbus.exceptions.DBusException('Not paired', name='org.bluez.Error.NotPermitted')
    if lock.knobs['write_error']:
        raise _error(lock.knobs['write_error'])
    seq = int(value[1]) if len(value) > 1 else 0
    if lock.knobs['strict'] and lock.knobs['unanswered_write'] and procedure != 'command':
        return _PENDING  # the lock took the request and never answers it
    if lock.knobs['disconnect_on_write']:
        if lock.knobs['strict']:
            # The request dies with the link: its error reply goes out first, Connected=false after.
            _later(1, lambda: _drop_link(lock))
            raise dbus.exceptions.DBusException('Operation failed with ATT error: 0x0e',
                                                name='org.bluez.Error.Failed')
        _later(1, lambda: _drop_link(lock))
        return
    reply = lock.knobs['reply']
    delay = lock.knobs['reply_delay_ms']
    if reply == 'none':
        return
    if reply == 'stale_then_success':
        # A lock answers its commands in the order it got them: the late status of the previous
        # command goes out before this one's. Both are sent from one callback, because two
        # sources would not keep that order: GLib dispatches a ready timeout (G_PRIORITY_DEFAULT)
        # before a ready idle callback (G_PRIORITY_DEFAULT_IDLE), so under load the success sent
        # "1 ms later" overtook the stale status and the driver had nothing to skip.
        def stale_then_current():
            _notify(lock, bytes([0x81, (seq - 1) & 0xff, 0x00]))
            _notify(lock, bytes([0x81, seq, 0x00]))
        _later(delay, stale_then_current)
        return
    payload = {
        'success': bytes([0x81, seq, 0x00]),
        'reject': bytes([0x81, seq, 0x01]),
        'garbage': bytes([0xde, 0xad, 0xbe, 0xef]),
    }[reply]
    _later(delay, lambda: _notify(lock, payload))


def _start_notify(char):
    lock = char.lockrig_lock
    lock.stats['start_notify'] += 1
    if lock.knobs['notify_error']:
        raise _error(lock.knobs['notify_error'])
    if not lock.connected:
        raise dbus.exceptions.DBusException('Not connected', name='org.bluez.Error.NotConnected')
    live = _live(char)
    if live is None or 'notify' not in live[1]:
        # The CCC write goes to the handle the cached tree names; the firmware there refuses it
        # (register_notify_cb -> create_gatt_dbus_error, src/gatt-client.c:1437-1442,274-275).
        raise dbus.exceptions.DBusException('Write not permitted', name='org.bluez.Error.NotPermitted')
    lock.notifying = True
    char.UpdateProperties(CHAR, {'Notifying': dbus.Boolean(True, variant_level=1)})


def _stop_notify(char):
    char.lockrig_lock.notifying = False
    char.UpdateProperties(CHAR, {'Notifying': dbus.Boolean(False, variant_level=1)})


def _appear(lock):
    """The lock's advertisement reaches the adapter: BlueZ creates (or refreshes) its device."""
    if not lock.in_range:
        return
    created = not lock.present  # BlueZ starts a new device at RSSI 0 (src/device.c)
    if not lock.present:
        _root().AddDevice(lock.adapter, lock.address, lock.name)
        mockobject.objects[lock.path].AddMethods(DEVICE, [
            ('Connect', '', '', _connect),
            ('Disconnect', '', '', _disconnect),
        ])
        if lock.knobs['strict']:
            mockobject.objects[lock.path].methods[DEVICE]['Pair'] = ('', '', '', _pair)
        lock.present = True
    uuids = [LOCK_SERVICE] if lock.knobs['advertise_service'] else []
    device = mockobject.objects[lock.path]
    device.props[DEVICE]['Paired'] = dbus.Boolean(lock.knobs['bonded'], variant_level=1)
    device.props[DEVICE]['Bonded'] = dbus.Boolean(lock.knobs['bonded'], variant_level=1)
    adapter = mockobject.objects.get(f'/org/bluez/{lock.adapter}')
    if lock.knobs['strict'] and not (adapter is not None and _sessions(adapter)):
        # A cached device: BlueZ shows RSSI only for adverts of a running discovery.
        device.props[DEVICE].pop('RSSI', None)
        device.UpdateProperties(DEVICE, {'UUIDs': dbus.Array(uuids, signature='s', variant_level=1)})
        return
    # A fresh advertisement brings RSSI back after a discovery session dropped it; the mock's
    # UpdateProperties only changes properties that exist.
    old = 0 if created else int(device.props[DEVICE].get('RSSI', 0))
    new = lock.knobs['rssi']
    changes = {'UUIDs': dbus.Array(uuids, signature='s', variant_level=1)}
    if (not lock.knobs['strict'] or old == 0 or abs(new - old) >= RSSI_THRESHOLD
            or _reports_every_rssi(adapter)):
        changes['RSSI'] = dbus.Int16(new, variant_level=1)
    else:
        lock.stats['rssi_suppressed'] += 1  # strict: a move under 8 dB, no proximity filter
    device.props[DEVICE].setdefault('RSSI', dbus.Int16(0, variant_level=1))
    device.UpdateProperties(DEVICE, changes)


def _template(method, adapter):
    """The template's Start/StopDiscovery read DiscoveryFilter, which only its SetDiscoveryFilter
    creates: a client that discovers without a filter would crash them."""
    props = adapter.props[ADAPTER]
    if 'DiscoveryFilter' in props:
        method(adapter)
        return
    props['DiscoveryFilter'] = None
    try:
        method(adapter)
    finally:
        del props['DiscoveryFilter']


# ---- pairing (issue 12, item 4) ---------------------------------------------------------------

def _agents():
    """sender -> (agent path, capability): BlueZ keeps one agent per D-Bus client (src/agent.c)."""
    manager = mockobject.objects['/org/bluez']
    if not hasattr(manager, 'lockrig_agents'):
        manager.lockrig_agents = {}
    return manager.lockrig_agents


def _register_agent(manager, agent_path, capability, sender=None):
    bluez5.RegisterAgent(manager, agent_path, capability)  # the template's checks and books
    _agents()[str(sender)] = (str(agent_path), str(capability))


def _unregister_agent(manager, agent_path, sender=None):
    bluez5.UnregisterAgent(manager, agent_path)
    _agents().pop(str(sender), None)


def _sender_method(iface, name, fn, in_signature):
    method = dbus.service.method(iface, in_signature=in_signature, out_signature='',
                                 sender_keyword='sender')(fn)
    method.__name__ = name
    return (in_signature, '', '', method)


def install_agent_manager():
    manager = mockobject.objects['/org/bluez']
    if getattr(manager, 'lockrig_agent_manager', False):
        return
    manager.lockrig_agent_manager = True
    iface = 'org.bluez.AgentManager1'
    manager.methods[iface]['RegisterAgent'] = _sender_method(iface, 'RegisterAgent', _register_agent, 'os')
    manager.methods[iface]['UnregisterAgent'] = _sender_method(iface, 'UnregisterAgent',
                                                               _unregister_agent, 'o')


def _auth_failed():
    return dbus.exceptions.DBusException('Authentication Failed',
                                         name='org.bluez.Error.AuthenticationFailed')


@dbus.service.method(DEVICE, in_signature='', out_signature='', sender_keyword='sender',
                     async_callbacks=('reply', 'error'))
def _pair(device, sender=None, reply=None, error=None):
    """Device1.Pair as src/device.c:2794-2866 (5.66) does it for an LE lock with passkey entry."""
    lock = _lock_at(device.path)
    lock.stats['pair'] += 1
    if lock.knobs['bonded']:
        error(dbus.exceptions.DBusException('Already Exists', name='org.bluez.Error.AlreadyExists'))
        return
    agents = _agents()
    agent = agents.get(str(sender))
    if agent is None:
        manager = mockobject.objects['/org/bluez']
        default = getattr(manager, 'default_agent', None)
        agent = next((a for a in agents.values() if a[0] == default), None)
    if lock.knobs['passkey'] < 0 or agent is None or agent[1] not in ('KeyboardOnly',
                                                                       'KeyboardDisplay'):
        error(_auth_failed())
        return
    owner = next(s for s, a in agents.items() if a == agent)

    def typed(passkey):
        lock.stats['passkey_requests'] += 1
        if int(passkey) != lock.knobs['passkey']:
            error(_auth_failed())
            return
        lock.knobs['bonded'] = True
        device.UpdateProperties(DEVICE, {'Paired': dbus.Boolean(True, variant_level=1),
                                         'Bonded': dbus.Boolean(True, variant_level=1)})
        reply()

    def refused(_e):
        error(dbus.exceptions.DBusException('Authentication Rejected',
                                            name='org.bluez.Error.AuthenticationRejected'))
    device.connection.call_async(owner, agent[0], 'org.bluez.Agent1', 'RequestPasskey', 'o',
                                 (dbus.ObjectPath(device.path),), typed, refused)


def _sessions(adapter):
    if not hasattr(adapter, 'lockrig_sessions'):
        adapter.lockrig_sessions = set()
        adapter.lockrig_max_sessions = 0
    return adapter.lockrig_sessions


def _start_discovery(adapter, sender=None):
    """Per-client discovery sessions as in src/adapter.c:2474-2537: one per sender (a second from
    the same sender is InProgress 'Operation already in progress', btd_error_busy), the shared
    procedure runs while any session does."""
    sessions = _sessions(adapter)
    if sender in sessions:
        raise dbus.exceptions.DBusException('Operation already in progress',
                                            name='org.bluez.Error.InProgress')
    sessions.add(sender)
    adapter.lockrig_max_sessions = max(adapter.lockrig_max_sessions, len(sessions))
    if len(sessions) == 1:
        _template(bluez5.StartDiscovery, adapter)  # keeps the template's behaviour, quirks included
    name = adapter.path.rsplit('/', 1)[-1]
    for lock in _locks().values():
        if lock.adapter == name and lock.in_range:
            _later(lock.knobs['discover_delay_ms'], lambda lock=lock: _appear(lock))


def _stop_discovery(adapter, sender=None):
    """As BlueZ does when a discovery session ends (src/adapter.c, discovery_cleanup): the RSSI
    and TxPower of the devices it found are invalidated, so the object tree after StopDiscovery
    no longer says what was on air. Only the caller's session ends (src/adapter.c:2831-2860); the
    procedure and the RSSI stay while another client discovers."""
    sessions = _sessions(adapter)
    if sender not in sessions:
        raise dbus.exceptions.DBusException('No discovery started', name='org.bluez.Error.Failed')
    sessions.discard(sender)
    _filters(adapter).pop(sender, None)  # the client goes with its filter (discovery_free)
    if sessions:
        return
    _template(bluez5.StopDiscovery, adapter)
    prefix = adapter.path + '/'
    for path, obj in list(mockobject.objects.items()):
        if not path.startswith(prefix) or DEVICE not in obj.props:
            continue
        props = obj.props[DEVICE]
        dropped = [k for k in ('RSSI', 'TxPower') if k in props]
        if not dropped:
            continue
        for k in dropped:
            del props[k]
        obj.EmitSignal(PROPERTIES, 'PropertiesChanged', 'sa{sv}as',
                       [DEVICE, dbus.Dictionary({}, signature='sv'), dropped])


def _remove_device(adapter, path):
    if path not in mockobject.objects:
        raise dbus.exceptions.DBusException('Does Not Exist', name='org.bluez.Error.DoesNotExist')
    lock = _lock_at(path)
    if lock is not None:
        lock.stats['remove'] += 1
        _drop_link(lock)
        # The device goes with its GATT objects and its cache (device_remove_stored deletes
        # <storage>/cache/<address>: src/device.c:4314-4345 in 5.66)
        _remove_gatt(lock)
        lock.present = False
        lock.stuck = False  # what a stale InProgress needs: BlueZ forgets the device
    bluez5.RemoveDevice(adapter, path)


# ---- control methods (org.lockrig.LockMock on /) ---------------------------------------------

def _with_sender(name, fn):
    """A method of ours that sees the caller's unique name, which dbusmock's AddMethod hides."""
    def method(self, sender=None):
        return fn(self, str(sender))
    dbus_method = dbus.service.method(ADAPTER, in_signature='', out_signature='',
                                      sender_keyword='sender')(method)
    dbus_method.__name__ = name
    return ('', '', '', dbus_method)


def _set_discovery_filter(adapter, discovery_filter, sender=None):
    """Per-client discovery filters (src/adapter.c set_discovery_filter in 5.66): kept with the
    client and dropped when its session ends; an empty dict clears the client's filter."""
    bluez5.SetDiscoveryFilter(adapter, discovery_filter)  # the template's bookkeeping too
    filters = _filters(adapter)
    if discovery_filter:
        filters[str(sender)] = {str(k): _py(v) for k, v in discovery_filter.items()}
    else:
        filters.pop(str(sender), None)


_set_discovery_filter_method = dbus.service.method(
    ADAPTER, in_signature='a{sv}', out_signature='', sender_keyword='sender')(_set_discovery_filter)
_set_discovery_filter_method.__name__ = 'SetDiscoveryFilter'


def _filters(adapter):
    if not hasattr(adapter, 'lockrig_filters'):
        adapter.lockrig_filters = {}
    return adapter.lockrig_filters


def _reports_every_rssi(adapter):
    """Whether BlueZ emits the RSSI of every advertisement, or only moves of RSSI_THRESHOLD = 8 dB
    (device_set_rssi, src/device.c:76,5849-5886 in 5.66). BlueZ since commit e004414a1 ("adapter:
    restrict delta=0 RSSI to proximity filters", 2026-07-15; src/adapter.c:7393-7407,7614-7618 at
    690c16d) takes every RSSI only while some discovering client's filter has an RSSI or Pathloss
    threshold; 5.66 did so for any filter at all (src/adapter.c:1854-1857,7184-7187), so a filter
    with an RSSI threshold is what works on both. The double follows the newer, stricter rule."""
    sessions = _sessions(adapter)
    return any(('RSSI' in f or 'Pathloss' in f) for sender, f in _filters(adapter).items()
               if sender in sessions)


def add_adapter(root, name):
    path = root.AddAdapter(name, 'lockrig-rig')
    adapter = mockobject.objects[path]
    adapter.AddMethods(ADAPTER, [
        ('RemoveDevice', 'o', '', _remove_device),
    ])
    adapter.methods[ADAPTER]['StartDiscovery'] = _with_sender('StartDiscovery', _start_discovery)
    adapter.methods[ADAPTER]['StopDiscovery'] = _with_sender('StopDiscovery', _stop_discovery)
    adapter.methods[ADAPTER]['SetDiscoveryFilter'] = ('a{sv}', '', '', _set_discovery_filter_method)
    return path


def adapter_stats(_root_obj, name):
    adapter = mockobject.objects[f'/org/bluez/{name}']
    _sessions(adapter)
    return {'max_discovery_sessions': dbus.Int64(adapter.lockrig_max_sessions, variant_level=1),
            'discovery_sessions': dbus.Int64(len(adapter.lockrig_sessions), variant_level=1),
            'max_connected': dbus.Int64(getattr(adapter, 'lockrig_max_connected', 0), variant_level=1)}


def add_lock(_root_obj, adapter, address, name, knobs):
    install_agent_manager()
    lock = Lock(str(adapter), str(address), str(name), {str(k): _py(v) for k, v in knobs.items()})
    _check_strict(lock.knobs)
    _locks()[lock.address] = lock
    if lock.knobs['present']:
        _appear(lock)
    return lock.path


def set_knobs(_root_obj, address, knobs):
    _locks()[str(address)].set_knobs({str(k): _py(v) for k, v in knobs.items()})


def vanish(_root_obj, address):
    """Out of range: the link drops and BlueZ removes the device once it stops seeing it."""
    lock = _locks()[str(address)]
    lock.in_range = False
    _drop_link(lock)
    _remove_gatt(lock)
    if lock.present:
        lock.present = False
        bluez5.RemoveDevice(mockobject.objects[f'/org/bluez/{lock.adapter}'], lock.path)


def power_off(_root_obj, address):
    """Switched off (or its radio died) but still cached: no more adverts, the link drops, and
    BlueZ keeps the device object, with its RSSI while any client still discovers."""
    lock = _locks()[str(address)]
    lock.in_range = False
    _drop_link(lock)


def reappear(_root_obj, address):
    lock = _locks()[str(address)]
    lock.in_range = True
    adapter = mockobject.objects.get(f'/org/bluez/{lock.adapter}')
    if adapter is not None and adapter.props[ADAPTER].get('Discovering'):
        _later(lock.knobs['discover_delay_ms'], lambda: _appear(lock))


def flash(_root_obj, address, firmware, layout):
    """select_build puts another build on the lock: it reboots into it (the link drops) and its
    attribute table may have moved (`layout`, '' = unchanged). BlueZ keeps the device and, with
    Cache=always (the default, src/main.c:1010; src/device.c:648-668), its GATT tree: strict
    mode's cached objects keep naming the old build's handles until the cache is cleared."""
    lock = _locks()[str(address)]
    lock.knobs['firmware'] = str(firmware)
    if str(layout):
        lock.knobs['gatt_layout'] = str(layout)
    lock.stats['flash'] += 1
    _drop_link(lock)


def stats(_root_obj, address):
    return {k: dbus.Int64(v, variant_level=1) for k, v in _locks()[str(address)].stats.items()}
