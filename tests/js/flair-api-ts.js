// Drives flair-api-ts (Homebridge's Flair client), unchanged, against ductwork's Flair port.
// Usage: node flair-api-ts.js <root URL> <client id> <client secret> <email> <password>
// Prints one JSON object with what the client saw; exits non-zero on any error.
'use strict';

const { Client } = require('flair-api-ts');

async function main() {
  const [root, clientId, clientSecret, email, password] = process.argv.slice(2);
  const result = {};

  // Password login: the client posts its grant as a query string with an empty body.
  const client = new Client(clientId, clientSecret, email, password);
  client.client.defaults.baseURL = root; // the client's one base URL setting
  const structure = await client.getPrimaryStructure();
  result.structure = { id: structure.id, mode: structure.mode, home: structure.home };
  const users = await client.getUsers();
  result.users = users.map((u) => u.email);

  const pucks = await client.getPucks();
  for (const puck of pucks) {
    if (!puck.inactive) await client.getPuckReading(puck);
  }
  result.pucks = pucks.map((p) => ({
    id: p.id, inactive: p.inactive,
    temperature: p.currentTemperatureC, humidity: p.currentHumidity,
    voltage: p.systemVoltage, rssi: p.rssi,
  }));

  const vents = await client.getVents();
  for (const vent of vents) {
    if (!vent.inactive) await client.getVentReading(vent);
  }
  result.vents = vents.map((v) => ({
    id: v.id, inactive: v.inactive, percentOpen: v.percentOpen,
    ductTemperature: v.ductTemperatureC, voltage: v.systemVoltage,
  }));

  const vent = vents.find((v) => !v.inactive);
  const target = vent.percentOpen === 0 ? 100 : 0;
  await client.setVentPercentOpen(vent, target);
  const [again] = (await client.getVents()).filter((v) => v.id === vent.id);
  result.ventSet = { id: vent.id, target, answered: vent.percentOpen, readBack: again.percentOpen };

  const rooms = await client.getRooms();
  const room = rooms.find((r) => r.active);
  await client.setRoomSetPoint(room, 21.5);
  result.roomSet = { id: room.id, setPoint: (await client.getRoom(room)).setPointC };

  // Client-credentials login: flair-api-ts 1.0.31 only logs in with a password, so this
  // token is requested the way it requests its own (query string, empty body, the client's
  // axios instance) and handed to a second client, which then reads as before.
  const query = new URLSearchParams({
    client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials',
    scope: 'structures.view pucks.view vents.view vents.edit',
  });
  const issued = await client.client.post(`/oauth/token?${query}`);
  result.clientCredentials = { status: issued.status, scope: issued.data.scope };
  const service = new Client(clientId, clientSecret, '', '');
  service.client.defaults.baseURL = root;
  const moment = require('moment');
  service.currentToken = { ...issued.data, expires_at: moment().add(issued.data.expires_in, 's') };
  const serviceVents = await service.getVents();
  await service.getVentReading(serviceVents[0]);
  result.clientCredentials.vents = serviceVents.length;
  result.clientCredentials.ductTemperature = serviceVents[0].ductTemperatureC;

  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  const response = error.response;
  process.stderr.write(`${error.stack}\n`);
  if (response) process.stderr.write(`${response.status} ${JSON.stringify(response.data)}\n`);
  process.exit(1);
});
