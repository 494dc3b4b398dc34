-- Deploy motovault:vehicle_images to pg
-- requires: vehicle_events
--
-- Image metadata (the bytes live in object storage under storage_key). Adding an image
-- records a photo event in the vehicle's stream.

begin;

set local lock_timeout = '5s';

create table app.vehicle_images (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    vehicle_id uuid not null,
    storage_key text not null,
    content_type text not null,
    bytes bigint not null,
    sha256 text not null,
    width integer,
    height integer,
    caption text,
    is_primary boolean not null default false,
    taken_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint vehicle_images_pkey primary key (tenant_id, id),
    constraint vehicle_images_storage_key_format
        check (char_length(storage_key) between 1 and 1024 and storage_key !~ '(^/|\.\./|[[:cntrl:]])'),
    constraint vehicle_images_content_type_image check (content_type ~ '^image/[a-z0-9][a-z0-9.+-]{0,126}$'),
    constraint vehicle_images_bytes_positive check (bytes > 0 and bytes <= 104857600),
    constraint vehicle_images_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint vehicle_images_width_positive check (width between 1 and 100000),
    constraint vehicle_images_height_positive check (height between 1 and 100000),
    constraint vehicle_images_width_height_together check ((width is null) = (height is null)),
    constraint vehicle_images_caption_length check (caption is null or char_length(caption) <= 500),
    constraint vehicle_images_taken_at_sane
        check (taken_at >= '1886-01-01' and taken_at < '2200-01-01')
);
comment on table app.vehicle_images is
    'Image metadata of vehicles: storage key (object storage), image/* content type, size, sha256, dimensions, caption; at most one primary image per vehicle.';
select app.distribute_table('app.vehicle_images', 'tenant');
alter table app.vehicle_images
    add constraint vehicle_images_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint vehicle_images_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;

create unique index vehicle_images_one_primary_per_vehicle
    on app.vehicle_images (tenant_id, vehicle_id) where is_primary and deleted_at is null;
create unique index vehicle_images_storage_key_unique_live
    on app.vehicle_images (tenant_id, storage_key) where deleted_at is null;
create index vehicle_images_vehicle_idx on app.vehicle_images (tenant_id, vehicle_id);

create or replace function app.tg_vehicle_images_prepare()
returns trigger
language plpgsql
as $$
begin
    new.content_type := lower(btrim(new.content_type));
    new.sha256 := lower(btrim(new.sha256));
    new.caption := nullif(btrim(new.caption), '');
    if new.content_type !~ '^image/' then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicle_images_content_type_image',
            column = 'content_type',
            message = format('content_type: must be an image/* type, got %s', new.content_type),
            hint = 'Only images are stored: image/jpeg, image/png, image/webp, image/heic, ...';
    end if;
    return new;
end
$$;
comment on function app.tg_vehicle_images_prepare() is
    'BEFORE INSERT OR UPDATE on vehicle_images: lower-cases content_type and sha256, trims the caption, explains a non-image content type.';
create trigger _200_prepare before insert or update on app.vehicle_images
    for each row execute function app.tg_vehicle_images_prepare();

create or replace function app.tg_vehicle_images_emit_event()
returns trigger
language plpgsql
as $$
begin
    insert into app.vehicle_events (tenant_id, vehicle_id, type, occurred_at, payload, source_id)
    values (
        new.tenant_id,
        new.vehicle_id,
        'photo',
        coalesce(new.taken_at, new.created_at),
        jsonb_strip_nulls(jsonb_build_object('image_id', new.id, 'caption', new.caption)),
        new.id
    );
    return null;
end
$$;
comment on function app.tg_vehicle_images_emit_event() is 'AFTER INSERT on vehicle_images: records a photo event in the vehicle''s stream.';
create trigger _500_events after insert on app.vehicle_images
    for each row execute function app.tg_vehicle_images_emit_event();

select app.enable_tenant_rules('app.vehicle_images');

create or replace view api.vehicle_images
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, storage_key, content_type, bytes, sha256, width, height, caption, is_primary, taken_at,
       created_at, updated_at, created_by, updated_by
from app.vehicle_images
where deleted_at is null;
comment on view api.vehicle_images is
    'Image metadata of the active tenant''s vehicles (the bytes live in object storage under storage_key). At most one primary image per vehicle (409 otherwise; set_primary_image switches atomically). Adding an image records a photo event. DELETE moves an image to vehicle_images_trash.';
comment on column api.vehicle_images.storage_key is 'Object storage key, unique in the tenant; relative (no leading /, no ..).';
comment on column api.vehicle_images.content_type is 'An image/* media type, e.g. image/jpeg.';
comment on column api.vehicle_images.bytes is 'Size in bytes, 1 .. 100 MiB.';
comment on column api.vehicle_images.sha256 is 'SHA-256 of the bytes, 64 hex digits.';
comment on column api.vehicle_images.width is 'Width in pixels (give width and height together).';
comment on column api.vehicle_images.height is 'Height in pixels.';
comment on column api.vehicle_images.is_primary is 'The vehicle''s primary image (at most one per vehicle).';
comment on column api.vehicle_images.taken_at is 'When the photo was taken (the photo event''s time; default: when added).';

select app.create_trash_api('api.vehicle_images', 'vehicle_image', 'images', '409 if it was primary and the vehicle has another primary image now');

create or replace function api.set_primary_image(id uuid)
returns setof api.vehicle_images
language plpgsql
as $$
declare
    target app.vehicle_images;
begin
    select * into target
    from app.vehicle_images as i
    where i.tenant_id = app.current_tenant_id() and i.id = set_primary_image.id and i.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no image %s', set_primary_image.id),
            hint = 'GET /vehicle_images lists the images of the active tenant.';
    end if;
    update app.vehicle_images as i
    set is_primary = false
    where i.tenant_id = target.tenant_id and i.vehicle_id = target.vehicle_id and i.is_primary and i.id <> target.id;
    update app.vehicle_images as i set is_primary = true where i.tenant_id = target.tenant_id and i.id = target.id;
    return query select * from api.vehicle_images as i where i.id = set_primary_image.id;
end
$$;
comment on function api.set_primary_image(uuid) is 'Makes an image its vehicle''s primary image, unsetting the previous one in the same transaction.';

grant select, insert, update on api.vehicle_images to app_user;  -- delete: app.create_trash_api
grant execute on function api.set_primary_image(uuid) to app_user;

commit;
