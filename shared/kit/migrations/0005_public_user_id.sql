-- The public form of a user id (kit::ids: "user_" and the UUID's 128 bits
-- in Crockford base32), for migrations that rewrite stored actors into the
-- one actor format (kit::actor). Runs in the service's schema.
create function public_user_id(u uuid) returns text language plpgsql immutable as $$
declare
    -- 128 bits behind two zero bits: 26 characters of 5 bits each.
    bits bit(130) := b'00' || ('x' || replace(u::text, '-', ''))::bit(128);
    alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
    out text := 'user_';
begin
    for i in 0..25 loop
        out := out || substr(alphabet, substring(bits from i * 5 + 1 for 5)::bit(5)::int + 1, 1);
    end loop;
    return out;
end
$$;
