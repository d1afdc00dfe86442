-- 0013_accept_uploads: a group of uploads in one statement. fg_accept_upload (0001) is one call per
-- upload; a group of them sent together still cost a statement each (parse, bind, execute, the
-- function's own setup) and a single-row INSERT each into telemetry_batches and device_nonces.
-- fg_accept_uploads takes the group as arrays (ordered by device, then nonce, as the caller sends
-- them) and decides every upload exactly as fg_accept_upload would, one after another, under the
-- same per-device advisory locks taken in device order; then it writes the accepted ones with one
-- INSERT per table. Additive: fg_accept_upload stays for replicas of the previous version.
--
-- p_samples is one JSON array whose elements are the uploads' sample arrays, in order (the
-- devices' own text: json_array_elements on json keeps each element's text as it was).
CREATE FUNCTION fg_accept_uploads(
  p_devices text[], p_nonces bigint[], p_macs text[], p_seen_at bigint[],
  p_sample_times timestamptz[], p_methods text[], p_counts integer[], p_first_ts double precision[], p_last_ts double precision[],
  p_samples json, p_stale_ms integer)
RETURNS TABLE (idx integer, outcome text, last_nonce bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n integer := coalesce(array_length(p_devices, 1), 0);
  i integer;
  dev text := NULL;
  cur_nonce bigint;
  cur_mac text;
  cur_found boolean;
  newest_claim bigint;
  accepted integer[] := '{}';
BEGIN
  FOR i IN 1..n LOOP
    IF i = 1 OR p_devices[i] <> p_devices[i - 1] THEN
      PERFORM fg_lock_device_nonce(p_devices[i]);
    END IF;
  END LOOP;
  DELETE FROM nonce_claims c
  WHERE c.device_id = ANY (p_devices) AND c.claimed_at < clock_timestamp() - make_interval(secs => p_stale_ms / 1000.0);
  FOR i IN 1..n LOOP
    IF dev IS DISTINCT FROM p_devices[i] THEN
      dev := p_devices[i];
      SELECT d.nonce, d.mac INTO cur_nonce, cur_mac FROM device_nonces d WHERE d.device_id = dev;
      cur_found := FOUND;
      SELECT max(c.nonce) INTO newest_claim FROM nonce_claims c WHERE c.device_id = dev;
    END IF;
    IF newest_claim IS NOT NULL AND newest_claim >= p_nonces[i] THEN
      idx := i; outcome := 'wait'; last_nonce := NULL;
    ELSIF cur_found AND cur_nonce = p_nonces[i] AND cur_mac = p_macs[i] THEN
      idx := i; outcome := 'duplicate'; last_nonce := cur_nonce;
    ELSIF cur_found AND cur_nonce >= p_nonces[i] THEN
      idx := i; outcome := 'replay'; last_nonce := cur_nonce;
    ELSE
      cur_nonce := p_nonces[i];
      cur_mac := p_macs[i];
      cur_found := true;
      accepted := accepted || i;
      idx := i; outcome := 'accepted'; last_nonce := p_nonces[i];
    END IF;
    RETURN NEXT;
  END LOOP;
  IF array_length(accepted, 1) IS NULL THEN
    RETURN;
  END IF;
  -- Each device's last accepted upload is its state (uploads of one device come in nonce order).
  INSERT INTO device_nonces AS d (device_id, nonce, mac, seen_at, reply)
  SELECT DISTINCT ON (p_devices[a]) p_devices[a], p_nonces[a], p_macs[a], p_seen_at[a], NULL
  FROM unnest(accepted) AS a
  ORDER BY p_devices[a], p_nonces[a] DESC
  ON CONFLICT (device_id) DO UPDATE SET nonce = EXCLUDED.nonce, mac = EXCLUDED.mac, seen_at = EXCLUDED.seen_at, reply = NULL;
  INSERT INTO telemetry_batches (device_id, sample_time, received_at, nonce, method, sample_count, first_ts, last_ts, samples)
  SELECT p_devices[a], p_sample_times[a], p_seen_at[a], p_nonces[a], p_methods[a], p_counts[a], p_first_ts[a], p_last_ts[a], s.samples
  FROM unnest(accepted) AS a
  JOIN json_array_elements(p_samples) WITH ORDINALITY AS s(samples, pos) ON s.pos = a;
END $$;
