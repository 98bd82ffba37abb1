/**
 * Rooms and capture devices (outside the hierarchy; admins and AV technicians manage them): add,
 * rename and delete rooms; register a device, assign it to a room (or none), configure its name and
 * configuration (a JSON object), remove it. The selected room filter lives in the URL.
 */
import { type FormEvent, useState } from 'react';
import { type Abilities, del, enc, get, patch, post } from '../api';
import { ErrorBox, Status, useAction, useLoad } from '../components';
import { useUrlParams } from '../router';
import { askConfirm } from './confirm';

interface Room {
  id: string;
  name: string | null;
  devices: string[];
  abilities: Abilities;
}
interface Device {
  id: string;
  name: string | null;
  room: string | null;
  configuration: unknown;
  abilities: Abilities;
}

const label = (x: { id: string; name: string | null }) => x.name ?? x.id;

export function RoomsPage() {
  const rooms = useLoad(() => get<{ items: Room[]; abilities: Abilities }>('/rooms'), []);
  const [params, update] = useUrlParams();
  const room = params.get('room') ?? '';
  const devices = useLoad(() => get<{ items: Device[] }>('/devices', { room }).then((r) => r.items), [room]);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const roomName = (id: string | null) => (id ? label((rooms.data?.items ?? []).find((r) => r.id === id) ?? { id, name: null }) : 'Not in a room');
  const done = (t: string) => {
    setMsg(t);
    rooms.reload();
    devices.reload();
  };
  const run = async (fn: () => Promise<unknown>, t: string) => {
    setMsg('');
    const r = await a.run(fn);
    if (r !== undefined) done(t);
    return r !== undefined;
  };
  const removeRoom = async (r: Room) => {
    // confirm: deleting a room cannot be undone (refused while it has devices or schedules)
    if (!(await askConfirm(`Delete the room ${label(r)}? This cannot be undone.`))) return;
    await run(() => del(`/rooms/${enc(r.id)}`), `Deleted the room ${label(r)}.`);
  };
  const removeDevice = async (d: Device) => {
    // confirm: removing a device cannot be undone
    if (!(await askConfirm(`Remove the device ${label(d)}${d.room ? ` from ${roomName(d.room)}` : ''}? This cannot be undone.`))) return;
    await run(() => del(`/devices/${enc(d.id)}`), `Removed the device ${label(d)}.`);
  };
  const can = rooms.data?.abilities ?? {};
  const list = rooms.data?.items ?? [];
  return (
    <section aria-labelledby="rooms-h">
      <h1 id="rooms-h">Rooms and devices</h1>
      <ErrorBox error={rooms.error ?? devices.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      <h2>Rooms</h2>
      <div className="table-wrap">
        <table className="grid compact" id="rooms">
          <caption className="sr-only">Rooms</caption>
          <thead>
            <tr>
              <th scope="col">Room</th>
              <th scope="col">Devices</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id}>
                <td>
                  {editing === `room:${r.id}` ? (
                    <NameForm id={`rn-${r.id}`} what={`room ${label(r)}`} initial={r.name ?? ''} onCancel={() => setEditing(null)} onSave={(name) => run(() => patch(`/rooms/${enc(r.id)}`, { name }), `Renamed the room to ${name}.`).then((ok) => ok && setEditing(null))} />
                  ) : (
                    <>
                      {label(r)} <span className="muted">{r.id}</span>
                    </>
                  )}
                </td>
                <td>{r.devices.length}</td>
                <td className="actions">
                  <span className="row-actions">
                    <button type="button" onClick={() => update({ room: r.id })} aria-pressed={room === r.id} aria-label={`Show the devices in ${label(r)}`}>
                      Devices
                    </button>
                    {r.abilities.configure && (
                      <button type="button" onClick={() => setEditing(`room:${r.id}`)} aria-label={`Rename ${label(r)}`}>
                        Rename
                      </button>
                    )}
                    {r.abilities.delete && (
                      <button type="button" onClick={() => void removeRoom(r)} aria-label={`Delete ${label(r)}`}>
                        Delete
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
            {rooms.data && list.length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  No rooms yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {can.create && <CreateForm title="Add a room" idLabel="Room id" onCreate={(id, name) => run(() => post('/rooms', { id, ...(name ? { name } : {}) }), `Added the room ${name || id}.`)} />}

      <h2>Devices</h2>
      <div className="filters">
        <div>
          <label htmlFor="dev-room">Room</label>
          <select id="dev-room" value={room} onChange={(e) => update({ room: e.target.value })}>
            <option value="">All rooms</option>
            {list.map((r) => (
              <option key={r.id} value={r.id}>
                {label(r)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="table-wrap">
        <table className="grid compact" id="devices">
          <caption className="sr-only">Devices</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Room</th>
              <th scope="col">Configuration</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(devices.data ?? []).map((d) =>
              editing === `device:${d.id}` ? (
                <tr key={d.id} className="selected">
                  <td colSpan={4}>
                    <DeviceForm d={d} rooms={list} onCancel={() => setEditing(null)} run={run} roomName={roomName} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={d.id}>
                  <td>
                    {label(d)} <span className="muted">{d.id}</span>
                  </td>
                  <td>{roomName(d.room)}</td>
                  <td>
                    <code>{JSON.stringify(d.configuration)}</code>
                  </td>
                  <td className="actions">
                    <span className="row-actions">
                      {(d.abilities.configure || d.abilities.assign) && (
                        <button type="button" onClick={() => setEditing(`device:${d.id}`)} aria-label={`Change ${label(d)}`}>
                          Change
                        </button>
                      )}
                      {d.abilities.delete && (
                        <button type="button" onClick={() => void removeDevice(d)} aria-label={`Remove ${label(d)}`}>
                          Remove
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              ),
            )}
            {devices.data && devices.data.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No devices {room ? `in ${roomName(room)}` : 'yet'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {can.registerDevice && (
        <CreateForm
          title="Register a device"
          idLabel="Device id"
          rooms={list}
          onCreate={(id, name, inRoom) => run(() => post('/devices', { id, ...(name ? { name } : {}), ...(inRoom ? { room: inRoom } : {}) }), `Registered the device ${name || id}${inRoom ? ` in ${roomName(inRoom)}` : ''}.`)}
        />
      )}
    </section>
  );
}

function NameForm({ id, what, initial, onSave, onCancel }: { id: string; what: string; initial: string; onSave: (name: string) => void; onCancel: () => void }) {
  const [name, setName] = useState(initial);
  return (
    <form className="inline-form" onSubmit={(e) => (e.preventDefault(), name.trim() && onSave(name.trim()))} aria-label={`Rename ${what}`}>
      <div>
        <label htmlFor={id}>Name</label>
        <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <button type="submit" className="primary">
        Save
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

function CreateForm({ title, idLabel, rooms, onCreate }: { title: string; idLabel: string; rooms?: Room[]; onCreate: (id: string, name: string, room: string) => Promise<boolean> }) {
  const [open, setOpen] = useState(false);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [room, setRoom] = useState('');
  const slug = title.toLowerCase().replace(/[^a-z]+/g, '-');
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {title}…
      </button>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await onCreate(id.trim(), name.trim(), room)) {
      setOpen(false);
      setId('');
      setName('');
    }
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label={title}>
      <div>
        <label htmlFor={`${slug}-id`}>{idLabel}</label>
        <input id={`${slug}-id`} required value={id} onChange={(e) => setId(e.target.value)} />
      </div>
      <div>
        <label htmlFor={`${slug}-name`}>Name</label>
        <input id={`${slug}-name`} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      {rooms && (
        <div>
          <label htmlFor={`${slug}-room`}>Room</label>
          <select id={`${slug}-room`} value={room} onChange={(e) => setRoom(e.target.value)}>
            <option value="">Not in a room</option>
            {rooms.map((r) => (
              <option key={r.id} value={r.id}>
                {label(r)}
              </option>
            ))}
          </select>
        </div>
      )}
      <button type="submit" className="primary">
        {rooms ? 'Register' : 'Add'}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

/** Assigning (room) and configuring (name, configuration) are separate operations, so separate saves. */
function DeviceForm({ d, rooms, run, roomName, onCancel, onDone }: { d: Device; rooms: Room[]; run: (fn: () => Promise<unknown>, t: string) => Promise<boolean>; roomName: (id: string | null) => string; onCancel: () => void; onDone: () => void }) {
  const [room, setRoom] = useState(d.room ?? '');
  const [name, setName] = useState(d.name ?? '');
  const [conf, setConf] = useState(JSON.stringify(d.configuration ?? {}, null, 2));
  const [confError, setConfError] = useState('');
  const assign = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(() => patch(`/devices/${enc(d.id)}`, { room: room || null }), room ? `Assigned ${label(d)} to ${roomName(room)}.` : `${label(d)} is no longer in a room.`)) onDone();
  };
  const configure = async (e: FormEvent) => {
    e.preventDefault();
    let configuration: unknown;
    try {
      configuration = JSON.parse(conf);
    } catch {
      return setConfError('Configuration must be a JSON object, such as {"resolution": "1080p"}.');
    }
    if (!configuration || typeof configuration !== 'object' || Array.isArray(configuration)) return setConfError('Configuration must be a JSON object, such as {"resolution": "1080p"}.');
    setConfError('');
    if (await run(() => patch(`/devices/${enc(d.id)}`, { ...(name.trim() ? { name: name.trim() } : {}), configuration }), `Saved the configuration of ${name.trim() || label(d)}.`)) onDone();
  };
  return (
    <div className="card" role="group" aria-label={`Change ${label(d)}`}>
      {d.abilities.assign && (
        <form className="inline-form" onSubmit={(e) => void assign(e)} aria-label={`Assign ${label(d)}`}>
          <div>
            <label htmlFor={`da-${d.id}`}>Room</label>
            <select id={`da-${d.id}`} value={room} onChange={(e) => setRoom(e.target.value)}>
              <option value="">Not in a room</option>
              {rooms.map((r) => (
                <option key={r.id} value={r.id}>
                  {label(r)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary">
            Assign
          </button>
        </form>
      )}
      {d.abilities.configure && (
        <form className="inline-form" onSubmit={(e) => void configure(e)} aria-label={`Configure ${label(d)}`}>
          <div>
            <label htmlFor={`dn-${d.id}`}>Name</label>
            <input id={`dn-${d.id}`} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div>
            <label htmlFor={`dc-${d.id}`}>Configuration (JSON)</label>
            <textarea id={`dc-${d.id}`} rows={4} cols={40} value={conf} onChange={(e) => setConf(e.target.value)} aria-invalid={confError ? true : undefined} aria-describedby={confError ? `dc-${d.id}-err` : undefined} />
          </div>
          <button type="submit" className="primary">
            Save configuration
          </button>
          {confError && (
            <p id={`dc-${d.id}-err`} className="error" role="alert">
              {confError}
            </p>
          )}
        </form>
      )}
      <button type="button" onClick={onCancel}>
        Close
      </button>
    </div>
  );
}
